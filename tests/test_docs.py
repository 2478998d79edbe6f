"""The docs and the code agree: every route, CLI verb, boot key and runtime setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from reelhouse.cli.main import app
from reelhouse.config import KEY_HELP
from reelhouse.domain.settings import REGISTRY
from reelhouse.web.peer_api import PEER_ROUTES
from reelhouse.web.routes import ROUTES

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _documented(pattern: str, name: str) -> set[str]:
    return set(re.findall(pattern, (DOCS / name).read_text(encoding="utf-8"), re.MULTILINE))


def _cli_verbs() -> set[str]:
    root = typer.main.get_command(app)
    verbs: set[str] = set()

    def walk(command: object, prefix: str) -> None:
        children = getattr(command, "commands", None)
        if children:
            for name, child in children.items():
                walk(child, f"{prefix} {name}")
        else:
            verbs.add(prefix)

    walk(root, "reelhouse")
    return verbs


def test_every_route_is_documented_and_every_documented_route_exists() -> None:
    documented = _documented(r"^### `(GET|POST|PUT|PATCH|DELETE) (/\S*)`", "api.md")
    # The web ports' one route table, and the peer listener's own (web/peer_api.py).
    declared = {(r.method, r.path) for r in ROUTES} | {(r.method, r.path) for r in PEER_ROUTES}
    assert declared - documented == set(), "routes missing from docs/api.md"
    assert documented - declared == set(), "docs/api.md describes routes that do not exist"


def test_every_cli_verb_is_documented_and_every_documented_verb_exists() -> None:
    documented = _documented(r"^### `(reelhouse[a-z\- ]*)`", "cli.md")
    assert _cli_verbs() - documented == set(), "verbs missing from docs/cli.md"
    assert documented - _cli_verbs() == set(), "docs/cli.md describes verbs that do not exist"


def test_every_boot_key_is_documented() -> None:
    documented = _documented(r"^\| `([a-z_]+)` \|", "configuration.md")
    assert set(KEY_HELP) <= documented


def test_every_runtime_setting_is_documented() -> None:
    documented = _documented(r"^\| `([a-z_0-9]+)` \|", "settings.md")
    assert {s.name for s in REGISTRY} == documented


def test_every_grant_is_documented() -> None:
    from reelhouse.web.api.account_schemas import Grants

    documented = _documented(r"^\| `([a-z_]+)` \| [^|]+ \| [^|]+ \|$", "api.md")
    assert set(Grants.model_fields) <= documented, "grants missing from the table in docs/api.md"


def test_every_peer_route_is_documented_with_what_it_needs() -> None:
    """docs/api.md says for each peer route what its table entry declares (web/peer_api.py:PEER_ROUTES)."""
    from reelhouse.domain.peers import LinkAccess, PeerScope

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    words = {LinkAccess.PAIRING: "Pairing", LinkAccess.ANY_LINK: "any active link"}
    for route in PEER_ROUTES:
        heading = f"### `{route.method} {route.path}`\n"
        if heading not in text:
            continue  # an undocumented route fails the first test of this file
        section = text.split(heading, 1)[1].split("\n#", 1)[0]
        if isinstance(route.needs, PeerScope):
            wanted = f"the `{route.needs.value}` scope"
        else:
            wanted = words.get(route.needs, "local sign-in")  # type: ignore[call-overload]
        assert wanted in section, f"docs/api.md: {route.method} {route.path} should say it needs {wanted}"
