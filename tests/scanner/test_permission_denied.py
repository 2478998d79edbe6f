"""A file the scanner may not read is a scan error, proven with the denial really in force.

CI runs as root, and root ignores a file's mode: chmod 000 stops nobody. The scan therefore runs in a child
process stripped of the two capabilities that let root read past the mode bits (CAP_DAC_OVERRIDE and
CAP_DAC_READ_SEARCH), so the kernel checks the bits for it as for any unprivileged user. Stripping capabilities
rather than switching to `nobody` keeps the interpreter readable: it may live in root's home.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from reelhouse.domain.library import LibraryKind
from tests.scanner.rows import items, rows, settled

# Runs in the child: first proves the file is unreadable to it, then scans the library into the shared database.
_CHILD = """
import json, sys
from pathlib import Path
from reelhouse.persistence.database import Database
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.scanner.runner import Scanner

url, library_id, locked, cache = sys.argv[1:]
try:
    open(locked, "rb").close()
    readable = True
except PermissionError:
    readable = False
db = Database(url)
with db.read() as conn:
    library = LibraryRepository().get(conn, library_id)
scanner = Scanner(db, Path(cache), workers=1)
try:
    scanner.scan(library)
finally:
    scanner.close()
    db.close()
print(json.dumps({"readable": readable}))
"""

_DAC_CAPS = "-dac_override,-dac_read_search"


def _without_file_privileges(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command  # an ordinary user: the mode bits already apply
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop root's file privileges for this test"
    return [setpriv, f"--inh-caps={_DAC_CAPS}", f"--bounding-set={_DAC_CAPS}", "--", *command]


def test_permission_denied_file_is_a_scan_error(db, library_factory, media_kit, tmp_path):
    library = library_factory(LibraryKind.MOVIES)
    root = Path(library.roots[0])
    media_kit.video_at(root / "Good (2000).mp4")
    locked = settled(media_kit.video_at(root / "Locked (2001).mp4"))
    locked.chmod(0)
    command = [sys.executable, "-c", _CHILD, db.url, library.id, str(locked), str(tmp_path / "cache")]
    done = subprocess.run(
        _without_file_privileges(command), capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == {"readable": False}
    errors = {Path(r["path"]).name: r["reason"] for r in rows(db, "SELECT path, reason FROM scan_errors")}
    assert "cannot read" in errors["Locked (2001).mp4"], errors
    assert [m["title"] for m in items(db, "movie")] == ["Good"]
