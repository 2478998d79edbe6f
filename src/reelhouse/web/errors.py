"""The one place where errors become HTTP answers."""

from __future__ import annotations

import json
import logging
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler

from reelhouse import errors
from reelhouse.web.routing import ClientApi
from reelhouse.web.unknown_paths import UnknownPaths

log = logging.getLogger(__name__)

CLIENT_APIS = web.AppKey("client_apis", tuple)
UNKNOWN_PATHS = web.AppKey("unknown_paths", UnknownPaths)

STATUS: dict[type[errors.ReelhouseError], int] = {
    errors.InvalidInput: 422,
    errors.NotFound: 404,
    errors.AuthenticationRequired: 401,
    errors.PermissionDenied: 403,
    errors.Conflict: 409,
    errors.TooManyRequests: 429,
    errors.Unavailable: 503,
    errors.DatabaseError: 503,
    errors.MediaError: 422,
}


def problem(status: int, code: str, message: str, **extra: object) -> web.Response:
    body = {"error": code, "message": message, **extra}
    return web.Response(text=json.dumps(body), status=status, content_type="application/json")


def status_of(exc: errors.ReelhouseError) -> int:
    return next((s for kind, s in STATUS.items() if isinstance(exc, kind)), 400)


def _client_of(request: web.Request) -> ClientApi | None:
    """The client API whose prefix the request is under, matched to a route or not (its 404s are its own);
    none while that API is turned off, so its paths answer as any unknown path does."""
    clients: tuple[ClientApi, ...] = request.app.get(CLIENT_APIS, ())
    path = request.path
    return next(
        (c for c in clients if path.startswith(c.prefix.rstrip("/") + "/") and c.enabled(request.app)), None
    )


def answer_for(exc: errors.ReelhouseError) -> web.Response:
    status = status_of(exc)
    extra: dict[str, object] = {}
    if isinstance(exc, errors.InvalidInput) and exc.fields:
        extra["fields"] = exc.fields
    response = problem(status, exc.code, exc.message, **extra)
    if isinstance(exc, errors.TooManyRequests | errors.Unavailable):
        response.headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.AuthenticationRequired):
        response.headers["WWW-Authenticate"] = 'Bearer realm="reelhouse"'
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.ReelhouseError as exc:
        client = _client_of(request)
        if client is not None:
            return client.render_error(request, status_of(exc), exc)
        return answer_for(exc)
    except web.HTTPException as exc:
        client = _client_of(request) if exc.status >= 400 else None
        if client is not None:
            unknown = request.app.get(UNKNOWN_PATHS)  # an app built without one (a test's) logs nothing
            if exc.status == 404 and unknown is not None:
                # request.path, never the query string: apps put their tokens there.
                unknown.note(client.name, request.method, request.path)
            error = (
                errors.NotFound("No such endpoint.") if exc.status == 404 else errors.InvalidInput(exc.reason)
            )
            return client.render_error(request, exc.status, error)
        if exc.status >= 400 and exc.content_type != "application/json":
            reason = exc.reason or "error"
            return problem(exc.status, reason.lower().replace(" ", "_"), f"{reason}.")
        raise
    except Exception:
        request_id = secrets.token_hex(8)
        log.exception("unhandled error, request id %s, %s %s", request_id, request.method, request.path)
        return problem(500, "internal_error", "Something went wrong on the server.", request_id=request_id)
