"""XML is parsed with defusedxml only: in our source (read as ASTs), in async-upnp-client's (which parses the
router's XML for us), and in behaviour: entity bombs, external entities and DTDs in NFOs and router replies
are refused or read without expansion, and a planted secret never comes back."""

from __future__ import annotations

import ast
import asyncio
import importlib.metadata
import importlib.util
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

import reelhouse
from reelhouse.services.portmap import PortMapper
from tests.harness import Client, RunningServer
from tests.network.igd import DESCRIPTION, SimulatedGateway
from tests.verification import media
from tests.verification.conftest import wait_for_scan

# The rule. Modules that only parse: importing them at all is a finding.
PARSER_MODULES = (
    "xml.dom.minidom",
    "xml.dom.pulldom",
    "xml.dom.expatbuilder",
    "xml.etree.ElementInclude",
    "xml.parsers",
    "xml.sax.expatreader",
    "lxml",
    "xmlrpc",
    "plistlib",
)
# xml.sax itself (make_parser, parse, parseString) is a parser; its handler and utility modules are not.
SAX_SAFE = ("xml.sax.handler", "xml.sax.saxutils", "xml.sax.xmlreader")
ETREE_MODULES = ("xml.etree.ElementTree", "xml.etree.cElementTree")
# From ElementTree only what builds, writes or names a tree. Everything else there parses (parse, fromstring,
# fromstringlist, XML, XMLID, XMLParser, XMLPullParser, iterparse, canonicalize, ElementTree(file=...)).
ETREE_SAFE = frozenset(
    {
        "Element",
        "SubElement",
        "ParseError",
        "tostring",
        "tostringlist",
        "dump",
        "indent",
        "QName",
        "register_namespace",
        "iselement",
        "Comment",
        "ProcessingInstruction",
        "PI",
        "TreeBuilder",
    }
)


def _is(name: str, modules: tuple[str, ...]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


def _module_finding(name: str) -> str | None:
    if _is(name, SAX_SAFE) or _is(name, ("defusedxml",)):
        return None
    if name == "xml.sax" or _is(name, PARSER_MODULES):
        return f"imports the parser module {name}"
    return None


@dataclass(frozen=True)
class Finding:
    where: str
    line: int
    what: str


def xml_parser_findings(source: str, where: str) -> list[Finding]:
    """Every way ``source`` reaches a stdlib or lxml XML parser rather than defusedxml's."""
    tree = ast.parse(source)
    found: list[Finding] = []
    etree_aliases: set[str] = set()

    def add(node: ast.AST, what: str) -> None:
        found.append(Finding(where, getattr(node, "lineno", 0), what))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (finding := _module_finding(alias.name)) is not None:
                    add(node, finding)
                elif _is(alias.name, ETREE_MODULES):
                    # ``import xml.etree.ElementTree`` binds ``xml``; ``as ET`` binds the module itself.
                    etree_aliases.add(alias.asname or alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if (finding := _module_finding(node.module)) is not None:
                    add(node, finding)
                elif (finding := _module_finding(full)) is not None:
                    add(node, finding)
                elif full in ETREE_MODULES:
                    etree_aliases.add(alias.asname or alias.name)
                elif node.module in ETREE_MODULES and alias.name not in ETREE_SAFE:
                    add(node, f"imports {alias.name} from {node.module}")
        elif isinstance(node, ast.Call):
            func = node.func
            named = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            argument = node.args[0] if node.args else None
            if named in ("import_module", "__import__") and isinstance(argument, ast.Constant):
                text = str(argument.value)
                if _module_finding(text) is not None or _is(text, ETREE_MODULES):
                    add(node, f"imports {text} by name")
    qualified = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and ast.unparse(node.value) in etree_aliases:
            if node.attr not in ETREE_SAFE:
                add(node, f"uses {ast.unparse(node)}")
        elif isinstance(node, ast.Name) and node.id in etree_aliases and id(node) not in qualified:
            # The module handed on whole (``parser = ET``) escapes the check: count it as a finding.
            add(node, f"passes the ElementTree module {node.id} around")
    return found


def _package_findings(folder: Path) -> list[Finding]:
    findings: list[Finding] = []
    for path in sorted(folder.rglob("*.py")):
        findings.extend(xml_parser_findings(path.read_text(encoding="utf-8"), str(path.relative_to(folder))))
    return findings


# The checker itself, on sources that must and must not be findings ------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "import xml.etree.ElementTree as ET\nET.fromstring(data)",
        "import xml.etree.ElementTree\nxml.etree.ElementTree.parse(path)",
        "from xml.etree import ElementTree\nElementTree.iterparse(path)",
        "from xml.etree.ElementTree import fromstring",
        "from xml.etree.ElementTree import XMLParser as P",
        "from xml.etree.cElementTree import XML",
        "import xml.etree.ElementTree as ET\nET.ElementTree(file=path)",
        "import xml.etree.ElementTree as ET\nparser = ET",
        "from xml.dom import minidom",
        "import xml.dom.minidom",
        "import xml.sax",
        "from xml.sax import parseString",
        "from xml.parsers import expat",
        "import xml.parsers.expat",
        "from lxml import etree",
        "import xmlrpc.client",
        "import plistlib",
        "import importlib\nimportlib.import_module('xml.dom.minidom')",
    ],
)
def test_checker_flags_each_stdlib_parser_entry_point(source: str) -> None:
    assert xml_parser_findings(source, "sample.py"), source


@pytest.mark.parametrize(
    "source",
    [
        "from xml.etree.ElementTree import Element, ParseError",
        "import xml.etree.ElementTree as ET\nnode: ET.Element = ET.SubElement(root, 'a')\nET.tostring(node)",
        "from defusedxml.ElementTree import fromstring, parse, iterparse",
        "import defusedxml.ElementTree as DET\nDET.fromstring(data)",
        "from defusedxml.sax import parseString\nfrom xml.sax.handler import ContentHandler",
        "from xml.sax.saxutils import escape",
    ],
)
def test_checker_allows_types_writers_and_defusedxml(source: str) -> None:
    assert xml_parser_findings(source, "sample.py") == []


# Our source --------------------------------------------------------------------------------------------
def test_no_module_of_ours_reaches_a_stdlib_xml_parser() -> None:
    root = Path(reelhouse.__file__).parent
    modules = list(root.rglob("*.py"))
    assert len(modules) > 50  # the walk really covers the package
    assert _package_findings(root) == []
    nfo = (root / "media" / "nfo.py").read_text(encoding="utf-8")
    assert "from defusedxml.ElementTree import fromstring" in nfo


# async-upnp-client, which fetches and parses the router's description and SOAP replies for portmap.py ----
def _installed(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.origin is not None, package
    return Path(spec.origin).parent


def test_upnp_client_parses_only_with_defusedxml() -> None:
    requirements = importlib.metadata.requires("async-upnp-client") or []
    assert any(r.lower().startswith("defusedxml") for r in requirements)
    findings = _package_findings(_installed("async_upnp_client")) + _package_findings(_installed("didl_lite"))
    # Reviewed: client.py imports expat only to wrap ``expat.ParserCreate`` while it builds a
    # ``defusedxml.ElementTree.XMLParser`` (DisableXmlNamespaces, for routers with broken namespaces); the
    # parser is still defusedxml's. Any other finding (a new ET.fromstring, minidom, lxml) fails here, so an
    # upgrade of the library is reviewed again.
    assert {(f.where, f.what) for f in findings} == {("client.py", "imports the parser module xml.parsers")}


SECRET = "SECRET-MARKER-7f3a9c"


def _bomb(root: str, levels: int = 10) -> str:
    entities = ['<!ENTITY e0 "lol">'] + [f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, levels)]
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{"".join(entities)}]>'


class _HostileRouter:
    """One loopback HTTP server answering a fixed body at /description.xml."""

    def __init__(self, body: str) -> None:
        self.body = body

    async def __aenter__(self) -> str:
        app = web.Application()
        app.router.add_get("/description.xml", self._answer)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{port}/description.xml"

    async def __aexit__(self, *_: object) -> None:
        await self._runner.cleanup()

    async def _answer(self, _request: web.Request) -> web.Response:
        return web.Response(text=self.body, content_type="text/xml")


def _mapper(url: str) -> PortMapper:
    mapper = PortMapper(lambda: {"remote_access": True, "port_mapping": True}, description_url=url)
    mapper._port = 8443  # the HTTPS port start() would set; nothing listens there
    return mapper


@pytest.mark.parametrize(
    "body",
    [
        _bomb("root") + '<root xmlns="urn:schemas-upnp-org:device-1-0"><device>&e9;</device></root>',
        '<?xml version="1.0"?><!DOCTYPE root [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<root xmlns="urn:schemas-upnp-org:device-1-0"><device><friendlyName>&x;</friendlyName></device></root>',
    ],
    ids=["entity-bomb", "external-entity"],
)
def test_hostile_router_description_is_a_reported_failure(body: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)

    async def run() -> PortMapper:
        async with _HostileRouter(body.replace("{secret}", str(secret))) as url:
            mapper = _mapper(url)
            await asyncio.wait_for(mapper.reconcile(), 10)
            return mapper

    started = time.monotonic()
    mapper = asyncio.run(run())
    assert time.monotonic() - started < 5  # refused, not expanded
    assert mapper.mapping is None
    assert mapper.last_error is not None and "refused" in mapper.last_error
    assert mapper.describe().startswith("no port forward:")
    assert SECRET not in mapper.describe()


class _BombingGateway(SimulatedGateway):
    """A gateway whose description is fine but whose SOAP replies carry an entity bomb."""

    async def _control(self, request: web.Request) -> web.Response:
        await request.read()
        reply = _bomb("s:Envelope") + (
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>&e9;</s:Body></s:Envelope>'
        )
        return web.Response(text=reply, content_type="text/xml")


def test_hostile_router_soap_reply_is_a_reported_failure() -> None:
    gateway = _BombingGateway()
    try:
        assert "InternetGatewayDevice" in DESCRIPTION
        mapper = _mapper(gateway.description_url)
        asyncio.run(asyncio.wait_for(mapper.reconcile(), 10))
    finally:
        gateway.stop()
    assert mapper.mapping is None
    assert mapper.last_error is not None and "refused" in mapper.last_error


# NFOs through the real server --------------------------------------------------------------------------
@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path / "data")
    try:
        yield running
    finally:
        running.stop()


def _nfos(secret: Path) -> dict[str, str]:
    """Folder title → NFO text; each NFO claims a title of its own that must not win if it was refused."""
    return {
        "Laughs": _bomb("movie") + "<movie><title>&e9;</title><plot>&e9;</plot></movie>",
        "Outside": f'<?xml version="1.0"?><!DOCTYPE movie [<!ENTITY x SYSTEM "file://{secret}">]>'
        "<movie><title>Leak &x;</title><plot>&x;</plot></movie>",
        "Parameter": f'<?xml version="1.0"?><!DOCTYPE movie [<!ENTITY % x SYSTEM "file://{secret}"> %x;]>'
        "<movie><title>Param leak</title></movie>",
        "Doctype": f'<?xml version="1.0"?><!DOCTYPE movie SYSTEM "file://{secret}">'
        "<movie><title>Doctype Kept</title><plot>An external DTD that is never fetched.</plot></movie>",
        "Inline": '<?xml version="1.0"?><!DOCTYPE movie [<!ELEMENT movie ANY>]>'
        "<movie><title>Inline Kept</title></movie>",
    }


def _every_answer(owner: Client, library_id: str) -> list[bytes]:
    bodies = [owner.get(f"/api/libraries/{library_id}/items?limit=500").body]
    bodies.append(owner.get(f"/api/libraries/{library_id}/scan").body)
    for item in owner.get(f"/api/libraries/{library_id}/items?limit=500").json()["items"]:
        bodies.append(owner.get(f"/api/items/{item['id']}").body)
    for term in ("SECRET", "leak", "lol", "Kept"):
        bodies.append(owner.get(f"/api/search?q={term}").body)
    return bodies


def test_hostile_nfos_are_refused_or_read_without_expansion(server: RunningServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    root = tmp_path / "media"
    template = media.movie(tmp_path / "template.mp4", seconds=1.0)
    for title, nfo in _nfos(secret).items():
        folder = root / f"{title} (2001)"
        media.copies(template, [folder / f"{title} (2001).mp4"])
        (folder / f"{title} (2001).nfo").write_text(nfo, encoding="utf-8")
    owner = server.owner()
    answer = owner.post("/api/libraries", {"name": "Films", "kind": "movies", "paths": [str(root)]})
    assert answer.status == 201, answer.body
    library_id = answer.json()["id"]
    started = time.monotonic()
    state = wait_for_scan(owner, library_id, timeout=60)
    assert time.monotonic() - started < 30  # a billion laughs would take far longer, or exhaust memory
    refused = {Path(str(e["path"])).name: e["reason"] for e in state["errors"]}  # type: ignore[attr-defined]
    assert state["added"] == 5 and sorted(refused) == [
        "Laughs (2001).nfo",
        "Outside (2001).nfo",
        "Parameter (2001).nfo",
    ]
    assert all(str(r).startswith("NFO refused") for r in refused.values())
    titles = sorted(i["title"] for i in owner.get(f"/api/libraries/{library_id}/items").json()["items"])
    # Refused NFOs leave the name's title; the DTD-only ones are read, their external DTD never fetched.
    assert titles == ["Doctype Kept", "Inline Kept", "Laughs", "Outside", "Parameter"]
    for body in _every_answer(owner, library_id):
        assert SECRET.encode() not in body
        assert b"lollollol" not in body
