"""The deployment examples in deploy/ are what an operator copies: each systemd unit passes
`systemd-analyze verify` with its hardening in place, and the nginx example passes `nginx -t` and proxies
media unbuffered to nodes picked without stickiness (docs/scaling.md, issue #19)."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
UNITS = ("reelhouse.service", "reelhouse-web.service", "reelhouse-worker.service")
INSTALLED = "/usr/local/bin/reelhouse"
HARDENING = {
    "ProtectSystem": "strict",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "Restart": "on-failure",
    "DynamicUser": "yes",
}


def _directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def _verify(unit: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["/usr/bin/systemd-analyze", "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _as_installed_here(name: str, folder: Path, text: str | None = None) -> Path:
    """The unit with ExecStart naming this venv's `reelhouse`: verify insists that the binary exists."""
    text = (DEPLOY / "systemd" / name).read_text(encoding="utf-8") if text is None else text
    here = str(Path(sys.executable).with_name("reelhouse"))
    assert INSTALLED in text
    unit = folder / name
    unit.write_text(text.replace(INSTALLED, here), encoding="utf-8")
    return unit


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_verifies_cleanly_with_its_hardening(name: str, tmp_path: Path) -> None:
    unit = _as_installed_here(name, tmp_path)
    result = _verify(unit)
    # verify exits 0 on an unknown or unparsable directive and only says so: any word from it is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    directives = _directives(unit.read_text(encoding="utf-8"))
    for key, value in HARDENING.items():
        assert directives.get(key) == [value], f"{name}: {key}"
    assert directives["ReadWritePaths"], name
    exec_start = directives["ExecStart"][0].split()
    assert exec_start[1] == ("worker" if name == "reelhouse-worker.service" else "serve")


def test_the_worker_reads_the_media_and_writes_only_its_scratch() -> None:
    text = (DEPLOY / "systemd" / "reelhouse-worker.service").read_text(encoding="utf-8")
    directives = _directives(text)
    assert directives["ReadOnlyPaths"]
    assert directives["ReadWritePaths"] == ["/var/cache/reelhouse-worker"]
    assert "StateDirectory" not in directives


def test_verify_reports_a_misspelled_directive_or_a_bad_value(tmp_path: Path) -> None:
    text = (DEPLOY / "systemd" / "reelhouse.service").read_text(encoding="utf-8")
    for broken in (
        text.replace("NoNewPrivileges=", "NoNewPrivilege="),
        text.replace("Restart=on-failure", "Restart=sometimes"),
    ):
        assert broken != text
        result = _verify(_as_installed_here("reelhouse.service", tmp_path, broken))
        assert result.stdout + result.stderr != ""


def _nginx_test(tmp_path: Path, site: str) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on the example inside a minimal main config, under a prefix of its own."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    proxy = tmp_path / "proxy"
    proxy.mkdir(exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "media.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (proxy / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (proxy / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (tmp_path / "reelhouse.conf").write_text(
        site.replace("/etc/reelhouse/proxy/", f"{proxy}/"), encoding="utf-8"
    )
    temp = " ".join(
        f"{kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main = tmp_path / "nginx.conf"
    main.write_text(
        f"error_log {tmp_path / 'error.log'};\npid {tmp_path / 'nginx.pid'};\nevents {{}}\n"
        f"http {{\n{temp}\naccess_log off;\ninclude {tmp_path / 'reelhouse.conf'};\n}}\n",
        encoding="utf-8",
    )
    return subprocess.run(
        [binary, "-t", "-p", f"{tmp_path}/", "-c", str(main), "-e", str(tmp_path / "error.log")],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_proxy_example_passes_nginx_t_and_fails_when_broken(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "reelhouse.conf").read_text(encoding="utf-8")
    result = _nginx_test(tmp_path, site)
    assert result.returncode == 0, result.stderr
    broken = site.replace("proxy_buffering off;", "proxy_bufering off;", 1)
    assert broken != site
    assert _nginx_test(tmp_path, broken).returncode != 0


def test_the_proxy_needs_no_sticky_sessions_streams_unbuffered_and_upgrades_websockets() -> None:
    site = (DEPLOY / "nginx" / "reelhouse.conf").read_text(encoding="utf-8")
    code = "\n".join(line.split("#", 1)[0] for line in site.splitlines())
    upstream = re.search(r"upstream reelhouse_nodes \{(.*?)\}", code, re.S)
    assert upstream is not None
    assert not re.search(r"\b(ip_hash|hash|sticky)\b", upstream.group(1))
    assert re.search(r"proxy_set_header Upgrade\s+\$http_upgrade;", code)
    assert re.search(r"proxy_set_header Connection\s+\$reelhouse_connection;", code)
    # The media location: every kind of media path goes through it, and it never buffers.
    media = re.search(r"location ~\* (\S+) \{([^}]*)\}", code)
    assert media is not None
    pattern = re.compile(media.group(1), re.IGNORECASE)
    for path in (
        "/api/items/AbC-1_x/stream",
        "/api/items/AbC-1_x/audio",
        "/api/items/AbC-1_x/download",
        "/api/hls/s1/master.m3u8",
        "/api/hls/s1/12.ts",
        "/jellyfin/Videos/x/stream.mkv",
        "/jellyfin/videos/x/hls1/s/3.ts",
        "/jellyfin/Audio/x/universal",
        "/rest/stream.view",
        "/rest/download",
    ):
        assert pattern.match(path), path
    for path in ("/api/items/x", "/api/me", "/jellyfin/Users/x/Items", "/static/app.js"):
        assert not pattern.match(path), path
    for directive in ("proxy_buffering off;", "proxy_request_buffering off;", "proxy_max_temp_file_size 0;"):
        assert directive in media.group(2)
    socket = re.search(r"location ~\* \^/jellyfin/socket\$ \{([^}]*)\}", code)
    assert socket is not None and "proxy_read_timeout 1h;" in socket.group(1)
