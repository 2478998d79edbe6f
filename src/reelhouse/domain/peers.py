"""Linked servers, pure: pairing codes, server ids, safety numbers, directional scopes and what never travels
over a link. The protocol and its storage live in services/peering.py and persistence/peers.py."""

from __future__ import annotations

import base64
import enum
import hashlib
import re
import secrets

from reelhouse.domain.settings import SIGN_IN_SETTINGS
from reelhouse.errors import InvalidInput

CODE_DIGITS = 12
CODE_LIFETIME_SECONDS = 600
_CODE_SHAPE = re.compile(r"[0-9]{12}")
SHORT_ID_CHARS = 16
PROTOCOL_VERSION = 1


class PeerScope(enum.StrEnum):
    """What one server may do on another, granted per direction."""

    MANAGE = "manage"  # read and change the other's runtime settings
    USERS = "users"  # grant the other's libraries to federated users
    STATUS = "status"  # read health and counts, never titles or history
    IDENTITY = "identity"  # vouch for its own users signing in there


ALL_SCOPES = frozenset(PeerScope)
# The "my own servers" template: the server that types the code (home) manages the one that shows it; the
# other way round only status and identity.
HOME_ON_REMOTE = frozenset({PeerScope.MANAGE, PeerScope.USERS, PeerScope.STATUS, PeerScope.IDENTITY})
REMOTE_ON_HOME = frozenset({PeerScope.STATUS, PeerScope.IDENTITY})


class LinkState(enum.StrEnum):
    ACTIVE = "active"
    IDENTITY_CHANGED = "identity_changed"  # the pin no longer matches: blocking, only re-pairing clears it
    REVOKED_BY_PEER = "revoked_by_peer"
    REMOVED = "removed"


class DangerousAction(enum.StrEnum):
    """Never allowed over a link, whatever its scopes: they need a local sign-in on that server."""

    UNPAIR = "unpair"
    CHANGE_SCOPES = "change_scopes"
    CREATE_ADMIN = "create_admin"
    OWNER_CREDENTIALS = "owner_credentials"
    DISABLE_AUTHENTICATION = "disable_authentication"
    EXPOSE_INSECURE = "expose_insecure"
    # Who counts as the home network, whose forwarded address is believed, which host names are answered: with
    # these a link could make the whole internet "home" and pass every remote-access rule.
    CHANGE_PERIMETER = "change_perimeter"


class LinkAccess(enum.StrEnum):
    """What a peer route may need other than a scope."""

    PAIRING = "pairing"  # no link yet: the one-time code, inside the PAKE, is the only credential
    ANY_LINK = "any_link"  # any active link, about itself (its own new key), whatever its scopes


# What each peer route declares in its table (web/peer_api.py:PEER_ROUTES); there is no default.
PeerNeed = LinkAccess | PeerScope | DangerousAction
PEER_NEEDS = (LinkAccess, PeerScope, DangerousAction)


def allowed_over_link(granted: frozenset[PeerScope], needed: PeerNeed) -> bool:
    """Whether a peer holding ``granted`` may do something needing ``needed``: a dangerous action never,
    whatever the scopes; pairing and what a link does about itself always; otherwise the scope itself."""
    if isinstance(needed, DangerousAction):
        return False
    if isinstance(needed, LinkAccess):
        return True
    return needed in granted


def parse_scopes(words: list[str] | tuple[str, ...]) -> frozenset[PeerScope]:
    out = set()
    for word in words:
        try:
            out.add(PeerScope(word.strip().lower()))
        except ValueError:
            raise InvalidInput(f"Unknown link scope '{word[:20]}'.", "scopes") from None
    return frozenset(out)


def new_code() -> str:
    """Twelve random digits (about 40 bits): enough for one online guess, never for an offline search, which
    the PAKE rules out."""
    return "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))


def normalise_code(typed: str) -> str:
    """A code as typed or pasted (dashes, spaces), back to its twelve digits."""
    digits = re.sub(r"[\s\-.]", "", typed or "")
    if not _CODE_SHAPE.fullmatch(digits):
        raise InvalidInput("A link code is twelve digits, such as 4821-7730-1195.", "code")
    return digits


def shown_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def code_hash(code: str, salt: bytes) -> str:
    return hashlib.sha256(salt + normalise_code(code).encode()).hexdigest()


def fingerprint(spki_der: bytes) -> str:
    """A peer key's full fingerprint: SHA-256 of its SubjectPublicKeyInfo, base32 without padding."""
    return base64.b32encode(hashlib.sha256(spki_der).digest()).decode().rstrip("=")


def server_id(full_fingerprint: str) -> str:
    """The short, readable id shown for a server: the fingerprint's first 16 characters in groups of four."""
    head = full_fingerprint[:SHORT_ID_CHARS]
    return "-".join(head[i : i + 4] for i in range(0, len(head), 4))


def safety_number(fingerprint_a: str, fingerprint_b: str) -> str:
    """Eight digits both screens show after pairing, the same whichever side computes them."""
    first, second = sorted((fingerprint_a, fingerprint_b))
    digest = hashlib.sha256(f"reelhouse-safety-v1|{first}|{second}".encode()).digest()
    number = int.from_bytes(digest[:8], "big") % 10**8
    text = f"{number:08d}"
    return " ".join(text[i : i + 2] for i in range(0, 8, 2))


def pairing_link(address: str, full_fingerprint: str, code: str) -> str:
    """What the code's screen offers to paste or scan: the address, the full key fingerprint, the code."""
    return f"reelhouse-pair:v1?addr={address}&fp={full_fingerprint}&code={normalise_code(code)}"


def parse_pairing_link(link: str) -> tuple[str, str | None, str]:
    """(address, fingerprint or None, code) from a pasted link, or from ``address code`` typed by hand."""
    text = (link or "").strip()
    if text.startswith("reelhouse-pair:"):
        head, _, query = text.partition("?")
        if head != "reelhouse-pair:v1":
            raise InvalidInput("This link is from a newer Reelhouse: update this server first.", "link")
        fields = dict(part.partition("=")[::2] for part in query.split("&") if part)
        address, fp, code = fields.get("addr", ""), fields.get("fp") or None, fields.get("code", "")
        if not address or (fp is not None and not re.fullmatch(r"[A-Z2-7]{52}", fp)):
            raise InvalidInput("The link is damaged: copy it again.", "link")
        return address, fp, normalise_code(code)
    raise InvalidInput("Paste the whole link, which starts with reelhouse-pair:v1.", "link")


class ServerStatus(enum.StrEnum):
    ONLINE = "online"
    UNREACHABLE = "unreachable"
    DEGRADED = "degraded"
    IDENTITY_CHANGED = "identity_changed"
    REVOKED_BY_PEER = "revoked_by_peer"
    NEEDS_UPDATE = "needs_update"
    UNKNOWN = "unknown"  # linked, not yet asked


ONLINE_SECONDS = 120
SKEW_DEGRADED_MS = 60_000


def classify_status(
    state: LinkState,
    last_seen: float | None,
    failing_since: float | None,
    skew_ms: int | None,
    peer_protocol: int | None,
    now: float,
) -> ServerStatus:
    """What the Servers page says about a link, from what the last polls found."""
    if state is LinkState.IDENTITY_CHANGED:
        return ServerStatus.IDENTITY_CHANGED
    if state is LinkState.REVOKED_BY_PEER:
        return ServerStatus.REVOKED_BY_PEER
    if peer_protocol is not None and peer_protocol > PROTOCOL_VERSION:
        return ServerStatus.NEEDS_UPDATE
    if failing_since is not None:
        return ServerStatus.UNREACHABLE
    if last_seen is None:
        return ServerStatus.UNKNOWN
    if now - last_seen > ONLINE_SECONDS:
        return ServerStatus.UNREACHABLE
    if skew_ms is not None and abs(skew_ms) > SKEW_DEGRADED_MS:
        return ServerStatus.DEGRADED
    return ServerStatus.ONLINE


# peer_tunnel too: turned off over the tunnel itself, it would cut the only way home reaches this server.
# lan_discovery: announcing on a network is this machine's presence there, for whoever stands beside it to
# decide, never a linked server.
_PERIMETER_SETTINGS = frozenset(
    {"lan_networks", "trusted_proxies", "allowed_hosts", "peer_tunnel", "lan_discovery"}
)
# What a linked server may never change, whatever the value: the settings page over a link shows these read-only.
LOCAL_ONLY_SETTINGS = SIGN_IN_SETTINGS | _PERIMETER_SETTINGS


def dangerous_settings_change(
    current: dict[str, object], changes: dict[str, object]
) -> DangerousAction | None:
    """What makes a batch of settings changes dangerous over a link, if anything: exposing the server
    while secure connections are disabled (either half of that, whichever the batch changes), anything
    about authentication, or moving the perimeter (the home networks, trusted proxies, allowed host names, the
    tunnel, LAN discovery). Values are compared as sent, before validation, so a refusal never depends on
    whether the batch would also have been invalid."""
    # Settings whose change alters how people sign in to a server: never over a link.
    if SIGN_IN_SETTINGS & changes.keys():
        return DangerousAction.DISABLE_AUTHENTICATION
    if _PERIMETER_SETTINGS & changes.keys():
        return DangerousAction.CHANGE_PERIMETER
    remote = changes.get("remote_access", current.get("remote_access"))
    secure = changes.get("secure_connections", current.get("secure_connections"))
    exposes = str(remote).lower() in ("true", "on", "yes", "1") and str(secure).lower() == "disabled"
    if exposes and ("remote_access" in changes or "secure_connections" in changes):
        return DangerousAction.EXPOSE_INSECURE
    return None
