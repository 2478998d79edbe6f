"""Privacy report and certificate routes: the certificate in use, and the owner's own uploaded or removed."""

from __future__ import annotations

from aiohttp import web

from reelhouse.domain.access import Action
from reelhouse.domain.certificate_names import HostCoverage
from reelhouse.errors import NotFound
from reelhouse.services.certificate_upload import CertificateUpload
from reelhouse.services.certificates import CertificateInfo
from reelhouse.web.api.network_schemas import (
    AuthorityOut,
    CertificateIn,
    CertificateOut,
    FactOut,
    HostCheckOut,
    PrivacyOut,
    TlsOut,
)
from reelhouse.web.context import actor, call, json_response, parse_body, peer_address, services
from reelhouse.web.gate import GATE
from reelhouse.web.routing import Access, Route


async def privacy(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    if svc.privacy is None:
        raise NotFound("The privacy report is not available on this server.")
    facts = await call(request, svc.privacy.report, actor(request))
    return json_response(
        PrivacyOut(facts=[FactOut(topic=f.topic, finding=f.finding, detail=f.detail) for f in facts])
    )


def _host_check(found: HostCoverage | None) -> HostCheckOut | None:
    if found is None:
        return None
    return HostCheckOut(
        covers_all=found.covers_all,
        checked=list(found.checked),
        uncovered=list(found.uncovered),
        warning=found.warning,
    )


async def _certificate_out(request: web.Request, info: CertificateInfo) -> CertificateOut:
    upload = services(request).certificate_upload
    hosts = None if upload is None else await call(request, upload.host_coverage, actor(request), info)
    return CertificateOut(
        source=info.source,
        fingerprint_sha256=info.fingerprint_sha256,
        subject=info.subject,
        names=list(info.names),
        not_before=info.not_before.isoformat(),
        not_after=info.not_after.isoformat(),
        host_check=_host_check(hosts),
    )


async def certificate(request: web.Request) -> web.StreamResponse:
    svc = services(request)
    info = None if svc.certificates is None else svc.certificates.info
    if info is None:
        raise NotFound("No HTTPS listener has loaded a certificate.")
    return json_response(await _certificate_out(request, info))


CA_DOWNLOAD = "/api/tls/ca.pem"


async def tls(request: web.Request) -> web.StreamResponse:
    """Answers whether HTTPS is served, so a page need not ask for a certificate that does not exist."""
    certificates = services(request).certificates
    port = request.app[GATE].https_port
    info = None if certificates is None or port is None else certificates.info
    found = None if certificates is None else await call(request, certificates.authority)
    authority = None
    if found is not None:
        authority = AuthorityOut(
            fingerprint_sha256=found[1].fingerprint_sha256,
            subject=found[1].subject,
            not_after=found[1].not_after.isoformat(),
            download=CA_DOWNLOAD,
        )
    return json_response(
        TlsOut(
            https_port=port,
            certificate_source=None if info is None else info.source,
            authority=authority,
        )
    )


async def authority_pem(request: web.Request) -> web.StreamResponse:
    certificates = services(request).certificates
    found = None if certificates is None else await call(request, certificates.authority)
    if found is None:
        raise NotFound("This server has not made its own certificate authority yet.")
    return web.Response(
        body=found[0],
        content_type="application/x-pem-file",
        headers={"Content-Disposition": 'attachment; filename="reelhouse-ca.pem"'},
    )


def _upload(request: web.Request) -> CertificateUpload:
    found = services(request).certificate_upload
    if found is None:
        raise NotFound("This server does not take uploaded certificates.")
    return found


async def upload_certificate(request: web.Request) -> web.StreamResponse:
    upload = _upload(request)
    body = await parse_body(request, CertificateIn)
    info = await call(
        request,
        upload.install,
        actor(request),
        certificate=body.certificate,
        private_key=body.private_key,
        pkcs12=body.pkcs12,
        passphrase=body.passphrase,
        address=peer_address(request),
    )
    return json_response(await _certificate_out(request, info))


async def remove_certificate(request: web.Request) -> web.StreamResponse:
    upload = _upload(request)
    await call(request, upload.revert, actor(request), peer_address(request))
    return web.Response(status=204)


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
    Route(
        "GET",
        "/api/tls",
        tls,
        "Whether an HTTPS listener is open, its port, and the server's own certificate authority.",
        Access.USER,
        "network",
        response=TlsOut,
    ),
    Route(
        "GET",
        CA_DOWNLOAD,
        authority_pem,
        "The server's own CA certificate as PEM, to install on a device so browsers trust this server.",
        Access.USER,
        "network",
        produces="application/x-pem-file",
    ),
    Route(
        "PUT",
        "/api/certificate",
        upload_certificate,
        "Use your own certificate: a PEM chain and its private key, or a PKCS#12 file, checked, then "
        "served from the next TLS handshake on without a restart.",
        Action.MANAGE_SETTINGS,
        "network",
        body=CertificateIn,
        response=CertificateOut,
    ),
    Route(
        "DELETE",
        "/api/certificate",
        remove_certificate,
        "Remove your own certificate and go back to the one this server issues itself.",
        Action.MANAGE_SETTINGS,
        "network",
        status=204,
    ),
]
