"""The web app's page shell and static files: public, data-free; all data comes from the API."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

from aiohttp import web

from reelhouse.web.routing import Access, Route

STATIC = Path(__file__).parent / "static"
# hls.js is fetched from the npm registry by the setup script into this git-ignored folder; optional.
VENDOR = STATIC / "vendor"
# Flat names only: no slashes, no dot-files, so a request can never leave the folder.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\.(js|css|svg|png|ico|webmanifest|map)")
TYPES = {
    "js": "text/javascript",
    "css": "text/css",
    "svg": "image/svg+xml",
    "png": "image/png",
    "ico": "image/x-icon",
    "webmanifest": "application/manifest+json",
    "map": "application/json",
    "html": "text/html",
}
COMPRESSIBLE = frozenset({"js", "css", "svg", "html", "map", "webmanifest"})


def _etag(path: Path) -> str:
    stat = path.stat()
    return '"' + hashlib.sha256(f"{stat.st_mtime_ns}:{stat.st_size}".encode()).hexdigest()[:20] + '"'


def _serve(request: web.Request, path: Path, cache: str) -> web.StreamResponse:
    if not path.is_file():
        raise web.HTTPNotFound()
    etag = _etag(path)
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    ext = path.suffix.lstrip(".")
    body = path.read_bytes()
    # The files are small and few; compressing per request keeps this module free of caches.
    if ext in COMPRESSIBLE and "gzip" in request.headers.get("Accept-Encoding", "") and len(body) > 1024:
        body = gzip.compress(body, compresslevel=6)
        headers["Content-Encoding"] = "gzip"
    charset = "utf-8" if ext in COMPRESSIBLE else None
    return web.Response(body=body, headers=headers, content_type=TYPES[ext], charset=charset)


async def shell(request: web.Request) -> web.StreamResponse:
    # Revalidated on every load (cheap 304) so a server upgrade is picked up without a hard refresh.
    return _serve(request, STATIC / "index.html", "no-cache")


async def static_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not _NAME.fullmatch(name):
        raise web.HTTPNotFound()
    return _serve(request, STATIC / name, "no-cache")


async def vendor_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not _NAME.fullmatch(name):
        raise web.HTTPNotFound()
    # Pinned by package-lock.json, so the bytes only change with an upgrade of the lockfile.
    return _serve(request, VENDOR / name, "public, max-age=86400")


ROUTES = [
    Route(
        "GET",
        "/",
        shell,
        "The web app's page shell (no data; the app signs in and reads the API)",
        Access.PUBLIC,
        "pages",
        produces="text/html",
    ),
    Route(
        "GET",
        "/invite",
        shell,
        "The invitation page: the code travels in the URL fragment, which never reaches the server",
        Access.PUBLIC,
        "pages",
        produces="text/html",
    ),
    Route(
        "GET",
        "/static/{name}",
        static_file,
        "The web app's scripts and styles",
        Access.PUBLIC,
        "pages",
        produces="text/javascript",
    ),
    Route(
        "GET",
        "/static/vendor/{name}",
        vendor_file,
        "Third-party scripts fetched by the setup command (hls.js), when present",
        Access.PUBLIC,
        "pages",
        produces="text/javascript",
    ),
]
