"""LAN discovery over mDNS (DNS-SD): a server announces its peer listener only while a pairing code waits, and
the owner's "Link to another server" side browses for such announcements. A suggestion is an address to type,
never an identity: pairing still checks the code and the key fingerprint, so a forged announcement can at worst
point the owner at a server that then fails the PAKE.

What goes on the wire is deliberately thin: the service type, an instance label (the server's chosen name), a
host label that is random for each announcement (so nothing stable ties two announcements together), the
addresses and the peer port. No server id, fingerprint, owner, library or TXT data."""

from __future__ import annotations

import ipaddress
import logging
import secrets
import threading
import time
from dataclasses import dataclass

from zeroconf import ServiceBrowser, ServiceInfo, ServiceListener, Zeroconf

log = logging.getLogger(__name__)

SERVICE_TYPE = "_reelhouse-peer._tcp.local."
# A DNS label is at most 63 bytes; names are cut well inside it, on a character boundary.
_LABEL_CHARS = 40
# A browse answers within a few seconds and never lists more than this, whatever a noisy LAN sends.
MAX_SUGGESTIONS = 20


@dataclass(frozen=True)
class Suggestion:
    name: str
    address: str


def _label(name: str) -> str:
    cleaned = " ".join(name.replace(".", " ").split())[:_LABEL_CHARS].strip()
    return cleaned or "Reelhouse"


class LanAnnouncer:
    """Holds at most one announcement; ``sync`` makes the wire match what is wanted. Called from worker
    threads (the settings tick, a code being issued or withdrawn), so the state is guarded."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._zeroconf: Zeroconf | None = None
        self._info: ServiceInfo | None = None
        self._current: tuple[str, int, tuple[str, ...]] | None = None

    @property
    def announcing(self) -> bool:
        return self._current is not None

    def sync(self, wanted: bool, name: str, port: int | None, addresses: list[str]) -> None:
        usable = tuple(a for a in addresses if _announceable(a))
        target = (_label(name), port, usable) if wanted and port and usable else None
        with self._lock:
            if target == self._current:
                return
            self._withdraw()
            if target is not None:
                self._announce(*target)

    def close(self) -> None:
        with self._lock:
            self._withdraw()

    def _announce(self, label: str, port: int, addresses: tuple[str, ...]) -> None:
        info = ServiceInfo(
            SERVICE_TYPE,
            f"{label}.{SERVICE_TYPE}",
            port=port,
            parsed_addresses=list(addresses),
            server=f"reelhouse-{secrets.token_hex(4)}.local.",
            properties={},
        )
        zeroconf = Zeroconf()
        try:
            # allow_name_change: two servers with the same name on one LAN both announce ("Home (2)").
            zeroconf.register_service(info, allow_name_change=True)
        except Exception as exc:  # noqa: BLE001 - mDNS trouble must never stop pairing, only the hint
            zeroconf.close()
            log.warning("could not announce on the LAN: %s", exc)
            return
        self._zeroconf, self._info, self._current = zeroconf, info, (label, port, addresses)
        log.info("announcing the waiting pairing code's listener on the LAN")

    def _withdraw(self) -> None:
        zeroconf, info = self._zeroconf, self._info
        self._zeroconf = self._info = self._current = None
        if zeroconf is None:
            return
        try:
            if info is not None:
                # Sends the goodbye records, so browsers drop the suggestion now rather than at TTL expiry.
                zeroconf.unregister_service(info)
        finally:
            zeroconf.close()
        log.info("stopped announcing on the LAN")


def _announceable(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    # Loopback would send a neighbour to itself: a server listening only there is not reachable on the LAN.
    return not (ip.is_unspecified or ip.is_multicast or ip.is_loopback)


class _Seen(ServiceListener):
    def __init__(self) -> None:
        self.names: list[str] = []

    def add_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        if name not in self.names and len(self.names) < MAX_SUGGESTIONS:
            self.names.append(name)

    def update_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        self.add_service(zc, type_, name)

    def remove_service(self, zc: Zeroconf, type_: str, name: str) -> None:
        if name in self.names:
            self.names.remove(name)


def browse(seconds: float) -> list[Suggestion]:
    """Listen for announcing servers for ``seconds`` and return what they say, as plain hints."""
    zeroconf = Zeroconf()
    try:
        seen = _Seen()
        browser = ServiceBrowser(zeroconf, SERVICE_TYPE, seen)
        time.sleep(seconds)
        browser.cancel()
        found: list[Suggestion] = []
        for full in list(seen.names):
            info = zeroconf.get_service_info(SERVICE_TYPE, full, timeout=500)
            if info is None or not info.port:
                continue
            label = full[: -len(SERVICE_TYPE) - 1] if full.endswith("." + SERVICE_TYPE) else full
            for address in info.parsed_addresses():
                where = f"[{address}]:{info.port}" if ":" in address else f"{address}:{info.port}"
                found.append(Suggestion(label[: _LABEL_CHARS * 2], where))
        return found[:MAX_SUGGESTIONS]
    finally:
        zeroconf.close()
