"""Authentication, route-level permission and security headers, for every request."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from reelhouse.domain.access import Action, Actor, Credential, TokenScope, can
from reelhouse.errors import AuthenticationRequired, PermissionDenied
from reelhouse.web.context import ACTOR, ZONE, call, peer_address, services
from reelhouse.web.routing import Access, Route
from reelhouse.web.session import is_tls, session_token

ROUTE_TABLE = web.AppKey("route_table", dict)
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def route_of(request: web.Request) -> Route | None:
    resource = request.match_info.route.resource
    if resource is None:
        return None
    table: dict[tuple[str, str], Route] = request.app[ROUTE_TABLE]
    method = "GET" if request.method == "HEAD" else request.method
    return table.get((method, resource.canonical))


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value else None


def _cross_site(request: web.Request) -> bool:
    """CSRF check for cookie-authenticated writes: the browser must say the request is same-origin."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site not in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    scheme = "https" if is_tls(request) else "http"
    return origin != f"{scheme}://{request.host}"


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    route = route_of(request)
    if route is None:
        # Unknown path or method: aiohttp answers 404/405 without reaching any handler of ours.
        return await handler(request)
    if route.access is Access.PUBLIC:
        return await handler(request)
    from_cookie = False
    if route.client is not None:
        # A client API never reads the session cookie: its apps carry their own credentials, and a cookie
        # would let another site's page use them.
        who = await route.client.authenticate(request)
        if who is None:
            raise AuthenticationRequired("Sign in first.")
    else:
        token = _bearer(request)
        if token is None:
            token = session_token(request)
            from_cookie = token is not None
        if token is None:
            raise AuthenticationRequired("Sign in first.")
        who = await token_actor(request, token)
        if who is None:
            raise AuthenticationRequired("Your session has ended; sign in again.")
    if from_cookie and request.method in UNSAFE and _cross_site(request):
        raise PermissionDenied("Cross-site request refused.")
    if isinstance(route.access, Action) and not can(who, route.access):
        raise PermissionDenied("You are not allowed to do that.")
    if route.access is Access.USER and TokenScope.READ not in who.token_scopes:
        # A stream- or admin-only API token reaches just the routes of its scope, not every signed-in one.
        raise PermissionDenied("This token's scopes do not allow that.")
    if route.password_session and who.credential is not Credential.SESSION:
        # An API token may still end itself with POST /api/auth/logout.
        raise PermissionDenied(
            "Only a session signed in with your password can change how an account signs in."
        )
    if request.get(ZONE) == "remote" and not who.permissions.may_connect_remotely:
        raise PermissionDenied("Your account may not connect from outside the home network.")
    request[ACTOR] = who
    return await handler(request)


async def token_actor(request: web.Request, token: str) -> Actor | None:
    """The account behind a session, device or API token, checked from the caller's address."""
    return await call(request, services(request).accounts.authenticate, token, peer_address(request))


async def caller_if_signed_in(request: web.Request) -> Actor | None:
    """Who calls, for a public route that answers either way; None wherever a signed-in route would refuse
    (401, or 403 for a token without the read scope or an account kept off remote connections)."""
    token = _bearer(request) or session_token(request)
    if token is None:
        return None
    who = await call(request, services(request).accounts.authenticate, token, peer_address(request))
    if who is None or TokenScope.READ not in who.token_scopes:
        return None
    if request.get(ZONE) == "remote" and not who.permissions.may_connect_remotely:
        return None
    return who


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    # No version banner: it only helps someone matching exploits to servers.
    headers["Server"] = "Reelhouse"
    if request.path.startswith("/api/"):
        headers.setdefault("Cache-Control", "no-store")
    # Also behind a trusted proxy that terminated TLS: the header reaches the browser over HTTPS there.
    if is_tls(request):
        headers["Strict-Transport-Security"] = "max-age=31536000"
