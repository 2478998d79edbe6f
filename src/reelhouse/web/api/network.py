"""Privacy report and certificate routes."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.access import Action
from reelhouse.errors import NotFound
from reelhouse.web.api.network_schemas import CertificateOut, FactOut, PrivacyOut
from reelhouse.web.context import actor, call, json_response, services
from reelhouse.web.routing import Access, Route


async def privacy(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    if svc.privacy is None:
        raise NotFound("The privacy report is not available on this server.")
    facts = await call(request, svc.privacy.report, actor(request))
    return json_response(
        PrivacyOut(facts=[FactOut(topic=f.topic, finding=f.finding, detail=f.detail) for f in facts])
    )


async def certificate(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    info = None if svc.certificates is None else svc.certificates.info
    if info is None:
        raise NotFound("No HTTPS listener has loaded a certificate.")
    return json_response(
        CertificateOut(
            source=info.source,
            fingerprint_sha256=info.fingerprint_sha256,
            subject=info.subject,
            names=list(info.names),
            not_before=info.not_before.isoformat(),
            not_after=info.not_after.isoformat(),
        )
    )


ROUTES = [
    Route(
        "GET",
        "/api/privacy",
        privacy,
        "What the server checked about who can reach it from outside, and how.",
        Action.MANAGE_SETTINGS,
        "network",
        response=PrivacyOut,
    ),
    Route(
        "GET",
        "/api/certificate",
        certificate,
        "The HTTPS certificate in use and its SHA-256 fingerprint, for pinning.",
        Access.USER,
        "network",
        response=CertificateOut,
    ),
]
