"""sslyze checks the HTTPS listener against Mozilla's "intermediate" profile."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.harness import RunningServer

# sslyze 6.3.1 needs cryptography < 47 and the project pins 50, so it lives in a venv of its own.
SSLYZE = Path(
    os.environ.get("REELHOUSE_SSLYZE", Path(__file__).parents[2] / ".venv-sslyze" / "bin" / "sslyze")
)


@pytest.mark.skipif(
    not SSLYZE.is_file(),
    reason="sslyze venv missing: python -m venv .venv-sslyze && .venv-sslyze/bin/pip install sslyze==6.3.1",
)
def test_https_listener_meets_mozilla_intermediate(tls_server: RunningServer) -> None:
    ca = tls_server.data_dir / "certificates" / "ca.pem"
    result = subprocess.run(
        [
            str(SSLYZE),
            "--mozilla_config=intermediate",
            "--certinfo_ca_file",
            str(ca),
            f"127.0.0.1:{tls_server.https_port}",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "OK - Compliant." in result.stdout
    # One group (Python 3.11 sets one through set_ecdh_curve): P-256, within the profile's list.
    curves = next(line for line in result.stdout.splitlines() if "Supported curves:" in line)
    assert curves.split(":", 1)[1].split() == ["secp256r1"]
