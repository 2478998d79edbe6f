"""What people read: plain words, not the settings' internal names, and real plurals instead of "(s)"."""

from __future__ import annotations

import re
from pathlib import Path

from reelhouse.domain.settings import REGISTRY
from tests.harness import RunningServer

SRC = Path(__file__).resolve().parents[2] / "src" / "reelhouse"
# Text inside quotes on one line: what a person may read, not a call such as `Scope(s)`. ("http(s)" names
# two schemes, not a count.)
QUOTED = re.compile(r""""[^"\n]*"|'[^'\n]*'|`[^`\n]*`""")


def test_no_setting_help_names_another_setting() -> None:
    names = {s.name for s in REGISTRY}
    named = {(s.name, other) for s in REGISTRY for other in names if re.search(rf"\b{other}\b", s.help)}
    assert named == set()


def test_no_text_in_the_code_counts_with_a_bracketed_plural() -> None:
    sources = [*SRC.rglob("*.py"), *(SRC / "web" / "static").glob("*.js")]
    found = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if any(re.search(r"(?<!http)(?<=[a-z])\(s\)", quoted) for quoted in QUOTED.findall(line))
    ]
    assert found == []


def test_the_privacy_report_counts_in_words(tmp_path: Path) -> None:
    running = RunningServer(tmp_path / "data")
    try:
        owner = running.owner()
        findings = {f["topic"]: f["finding"] for f in owner.get("/api/privacy").json()["facts"]}
        assert findings["remote_accounts"].startswith("1 account may connect from outside")
        assert findings["open_invitations"] == "0 open invitations"
        owner.post("/api/invitations", {"grants": {"libraries": "all"}})
        findings = {f["topic"]: f["finding"] for f in owner.get("/api/privacy").json()["facts"]}
        assert findings["open_invitations"] == "1 open invitation"
    finally:
        running.stop()
