"""The certificate answers warn, without refusing, when the certificate does not name the hosts clients use."""

from __future__ import annotations

import pytest

from reelhouse.domain.certificate_names import covers
from tests.harness import RunningServer
from tests.network.conftest import configure, peer_certificate
from tests.network.test_certificate_upload import make_pair, upload

PUBLIC = "https://reelhouse.example.net:32400"


def test_with_no_names_configured_there_is_nothing_to_warn_about(tls_server: RunningServer) -> None:
    check = tls_server.owner().get("/api/certificate").json()["host_check"]
    assert check == {"covers_all": True, "checked": [], "uncovered": [], "warning": None}


def test_the_servers_own_certificate_is_flagged_for_a_public_url_it_does_not_name(
    tls_server: RunningServer,
) -> None:
    configure(tls_server, public_urls=[PUBLIC])
    check = tls_server.owner().get("/api/certificate").json()["host_check"]
    assert check["covers_all"] is False
    assert check["checked"] == check["uncovered"] == ["reelhouse.example.net"]
    assert check["warning"] == (
        "This certificate does not name reelhouse.example.net, so browsers will warn when you connect "
        "by that name."
    )


def test_an_upload_that_misses_a_name_still_succeeds_with_the_warning(tls_server: RunningServer) -> None:
    configure(tls_server, public_urls=[PUBLIC], allowed_hosts=["media.example", "films.example.org"])
    pair = make_pair("media.example")
    status, body = upload(tls_server, pair)
    assert status == 200, body
    assert peer_certificate(tls_server) == pair.der
    assert body["host_check"] == {
        "covers_all": False,
        "checked": ["reelhouse.example.net", "media.example", "films.example.org"],
        "uncovered": ["reelhouse.example.net", "films.example.org"],
        "warning": "This certificate does not name reelhouse.example.net and films.example.org, so browsers "
        "will warn when you connect by those names.",
    }
    assert tls_server.owner().get("/api/certificate").json()["host_check"] == body["host_check"]


def test_a_certificate_naming_every_host_has_no_warning(tls_server: RunningServer) -> None:
    configure(tls_server, public_urls=[PUBLIC, "https://127.0.0.1:8443"], allowed_hosts=["media.example"])
    status, body = upload(tls_server, make_pair(names=("media.example", "*.example.net", "127.0.0.1")))
    assert status == 200, body
    assert body["host_check"]["covers_all"] is True
    assert body["host_check"]["uncovered"] == []
    assert body["host_check"]["warning"] is None


def test_the_warning_follows_a_settings_change_without_a_new_upload(tls_server: RunningServer) -> None:
    assert upload(tls_server, make_pair("media.example"))[0] == 200
    assert tls_server.owner().get("/api/certificate").json()["host_check"]["covers_all"] is True
    configure(tls_server, allowed_hosts=["other.example"])
    assert tls_server.owner().get("/api/certificate").json()["host_check"]["uncovered"] == ["other.example"]


def test_a_member_sees_the_certificate_but_not_the_configured_names(tls_server: RunningServer) -> None:
    configure(tls_server, public_urls=[PUBLIC])
    tls_server.owner()
    tls_server.create_user("friend")
    answer = tls_server.sign_in("friend").get("/api/certificate")
    assert answer.status == 200
    assert answer.json()["host_check"] is None


# How names are matched, as browsers match them ---------------------------------------------------
@pytest.mark.parametrize(
    ("names", "host", "covered"),
    [
        (("*.example.net",), "reelhouse.example.net", True),
        (("*.EXAMPLE.net",), "reelhouse.example.net", True),
        (("*.example.net",), "example.net", False),
        (("*.example.net",), "a.b.example.net", False),
        (("reelhouse.example.net.",), "reelhouse.example.net", True),
        (("a.example.net",), "*.example.net", False),
        (("*.example.net",), "*.example.net", True),
        (("127.0.0.1",), "127.0.0.1", True),
        (("::1",), "0:0:0:0:0:0:0:1", True),
        (("127.0.0.1",), "127.0.0.2", False),
        (("localhost",), "127.0.0.1", False),
        (("f*.example.net",), "films.example.net", False),
    ],
)
def test_names_are_matched_as_browsers_match_them(names: tuple[str, ...], host: str, covered: bool) -> None:
    assert covers(names, host) is covered
