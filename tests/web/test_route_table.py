"""The route table: the public list is the reviewed one, and every route declares its access."""

from __future__ import annotations

from reelhouse.domain.access import Action
from reelhouse.web.routes import ROUTES, public_routes
from reelhouse.web.routing import Access

# Reviewed: each of these answers without a signed-in user. Adding one needs a reason here.
REVIEWED_PUBLIC = {
    ("GET", "/api/setup"),  # the first-run page must know whether to ask for the setup code
    # the web app's one question at start: setup state, and who is signed in only when they are
    ("GET", "/api/session"),
    ("POST", "/api/setup"),  # creating the owner; guarded by the one-time setup code
    ("POST", "/api/auth/login"),  # signing in
    # signing in with a linked home server: a single-use nonce, then a token that home signed for it
    ("GET", "/api/auth/federated/nonce"),
    ("POST", "/api/auth/federated"),
    # "Sign in with Home" in a browser: the home servers to offer, starting (pushes a request to home over the
    # signed link; bounded) and the callback, which needs the one-time code and this browser's state cookie
    # (names only to the home network; from elsewhere a start names its home server, ten tries a minute)
    ("GET", "/api/auth/home"),
    ("POST", "/api/auth/home/start"),
    ("POST", "/api/auth/home/{link_id}/start"),
    ("GET", "/api/auth/home/callback"),
    (
        "GET",
        "/api/auth/profiles",
    ),  # managed profiles to pick from; empty unless the peer is on the home network
    ("POST", "/api/auth/profile"),  # signing in as a managed profile (home network only, PIN when set)
    ("POST", "/api/invitations/check"),  # what an invitation offers; needs the invitation code itself
    ("POST", "/api/invitations/redeem"),  # creating an account; needs the invitation code itself
    # Media URLs handed to players: each needs a short-lived grant signed for one item and user, and the
    # handler checks the user again; a <video> element or an HLS player cannot send a bearer header.
    ("GET", "/api/items/{item_id}/stream"),
    ("GET", "/api/items/{item_id}/audio"),
    ("GET", "/api/hls/{session_id}/master.m3u8"),
    ("GET", "/api/hls/{session_id}/video.m3u8"),
    ("GET", "/api/hls/{session_id}/{number}.ts"),
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.m3u8"),
    ("GET", "/api/hls/{session_id}/subtitles/{subtitle_id}.vtt"),
    # Jellyfin's apps: what an app asks before it has a token. Server info names the server and the address the
    # app already used, never the host's; Users/Public is always empty, so strangers learn no user names.
    ("GET", "/jellyfin/System/Info/Public"),
    ("GET", "/jellyfin/System/Ping"),  # a constant answer: is a server there
    ("POST", "/jellyfin/System/Ping"),
    ("GET", "/jellyfin/Branding/Configuration"),  # constant: no disclaimer, no splash screen of library art
    ("GET", "/jellyfin/Branding/Css"),  # always empty
    ("GET", "/jellyfin/Branding/Css.css"),
    ("GET", "/jellyfin/Users/Public"),  # always []
    # signing in: the web page's throttle, two-factor and address rules
    ("POST", "/jellyfin/Users/AuthenticateByName"),
    ("GET", "/jellyfin/QuickConnect/Enabled"),  # constant: true
    # Quick Connect: a code for a signed-in person to approve; capped per address, five minutes, used once.
    ("POST", "/jellyfin/QuickConnect/Initiate"),
    # needs the request's 256-bit secret, and says only whether it was approved
    ("GET", "/jellyfin/QuickConnect/Connect"),
    ("POST", "/jellyfin/Users/AuthenticateWithQuickConnect"),  # needs the secret, and a person's approval
    # Jellyfin media that players fetch without headers: each needs the signed grant of a PlaybackInfo answer
    # (one user, item, HLS session and app token), or for pictures a token or an image tag minted for one user.
    ("GET", "/jellyfin/Audio/{item_id}/transcode.{codec}"),
    ("GET", "/jellyfin/Videos/{item_id}/master.m3u8"),
    ("GET", "/jellyfin/Videos/{item_id}/main.m3u8"),
    ("GET", "/jellyfin/Videos/{item_id}/hls1/{session_id}/{number}.ts"),
    ("GET", "/jellyfin/Items/{item_id}/Images/{image_type}"),
    ("GET", "/jellyfin/Items/{item_id}/Images/{image_type}/{index}"),
    # Subsonic: the one method OpenSubsonic lets an app call before it has credentials; a constant list.
    ("GET", "/rest/getOpenSubsonicExtensions"),
    ("POST", "/rest/getOpenSubsonicExtensions"),
}


def _is_page_or_asset(path: str) -> bool:
    # A client API's routes are API routes: each public one is reviewed here like ours.
    return not path.startswith(("/api/", "/jellyfin/"))


def test_public_routes_are_exactly_the_reviewed_list() -> None:
    unexpected = {
        key for key in public_routes() if key not in REVIEWED_PUBLIC and not _is_page_or_asset(key[1])
    }
    assert unexpected == set(), "a new public API route needs a review entry in REVIEWED_PUBLIC"


def test_every_route_declares_access() -> None:
    for route in ROUTES:
        assert isinstance(route.access, Access | Action), route.key


def test_route_keys_are_unique() -> None:
    keys = [route.key for route in ROUTES]
    assert len(keys) == len(set(keys))
