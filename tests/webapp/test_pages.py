"""The page shell and static files: public, data-free, cache-validated, and confined to their folder."""

from __future__ import annotations

import gzip

import pytest

from tests.harness import RunningServer


def test_shell_is_public_and_carries_no_inline_script_or_style(server: RunningServer) -> None:
    answer = server.anonymous().get("/")
    assert answer.status == 200
    assert answer.header("Content-Type") == "text/html; charset=utf-8"
    page = answer.body.decode()
    assert "<script>" not in page and "<style" not in page and " style=" not in page
    assert "script-src 'self'" in (answer.header("Content-Security-Policy") or "")


def test_static_file_is_revalidated_with_its_etag(server: RunningServer) -> None:
    client = server.anonymous()
    first = client.get("/static/app.js")
    assert first.status == 200 and first.header("Content-Type") == "text/javascript; charset=utf-8"
    again = client.get("/static/app.js", headers={"If-None-Match": first.header("ETag") or ""})
    assert (again.status, again.body) == (304, b"")


def test_static_file_is_gzipped_when_the_browser_accepts_it(server: RunningServer) -> None:
    plain = server.anonymous().get("/static/app.js")
    packed = server.anonymous().get("/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert packed.header("Content-Encoding") == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body)


@pytest.mark.parametrize(
    "path",
    ["/static/..%2Fpages.py", "/static/.hidden.js", "/static/index.html", "/static/vendor/..%2Fapp.js"],
)
def test_static_names_outside_the_folder_or_not_assets_are_not_found(
    server: RunningServer, path: str
) -> None:
    assert server.anonymous().get(path).status == 404


def test_invitation_page_is_the_shell(server: RunningServer) -> None:
    assert server.anonymous().get("/invite").body == server.anonymous().get("/").body
