"""The peer side of a running server: the peer listener (opened once a link code waits or a link exists), the
LAN announcement while a code waits, the background poll of linked servers with the outbox delivered to each
that answers, and the peer key taken up after a rotation. Reelhouse (app.py) builds the objects this uses and
inherits these methods, so that app.py keeps to wiring."""

from __future__ import annotations

import asyncio
import logging
import ssl
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from aiohttp import web

from reelhouse.config import BootConfig
from reelhouse.domain.peers import ServerStatus
from reelhouse.errors import ReelhouseError
from reelhouse.services.certificates import local_addresses
from reelhouse.services.federation import FederationService
from reelhouse.services.home_sign_in import HomeSignIn
from reelhouse.services.lan_discovery import LanAnnouncer
from reelhouse.services.peer_identity import PeerIdentity
from reelhouse.services.peer_keys import KeyRotation
from reelhouse.services.peer_links import PeerLinks
from reelhouse.services.peering import PeeringService
from reelhouse.services.remote_admin import RemoteAdmin
from reelhouse.services.revocations import Revocations
from reelhouse.web.context import Services
from reelhouse.web.gate import GATE
from reelhouse.web.listeners import TLSListener
from reelhouse.web.peer_api import build_peer_app
from reelhouse.web.peer_tunnel import TunnelHub

if TYPE_CHECKING:
    from reelhouse.services.cluster import ClusterSync

log = logging.getLogger("reelhouse")


class PeerWiring:
    """Mixed into Reelhouse, which sets every attribute below in its constructor."""

    config: BootConfig
    services: Services
    executor: ThreadPoolExecutor
    cluster: ClusterSync | None
    peering: PeeringService
    peer_links: PeerLinks
    remote_admin: RemoteAdmin
    revocations: Revocations
    federation: FederationService
    home_sign_in: HomeSignIn
    key_rotation: KeyRotation
    tunnel_hub: TunnelHub
    lan: LanAnnouncer
    # Bound once the peer listener is open: its port goes into the link a code's screen offers.
    peer_port: int | None
    _peer_runner: web.AppRunner | None
    _peer_context: ssl.SSLContext | None
    _tls_sites: list[TLSListener]
    _loop: asyncio.AbstractEventLoop | None
    _app: web.Application | None

    async def _poll_peers(self, every: float) -> None:
        """Ask each linked server for its status when it is due (PeerLinks backs off from one that is down),
        several at once, so that one blackholed address never holds up the others."""
        loop = asyncio.get_running_loop()
        links = self.peer_links
        while True:
            await asyncio.sleep(every)
            try:
                cluster = self.cluster
                if cluster is not None and not await loop.run_in_executor(
                    self.executor, cluster.claim_tick, "peer-poll", every
                ):
                    continue  # another node polls the linked servers this tick
                due = await loop.run_in_executor(self.executor, links.due)
                await asyncio.gather(*(loop.run_in_executor(self.executor, self._poll_one, i) for i in due))
                # Removed links are not polled; a farewell still waiting for one is retried on its own clock.
                gone = await loop.run_in_executor(self.executor, self.revocations.farewells_due)
                deliver = self.revocations.deliver_farewell
                await asyncio.gather(*(loop.run_in_executor(self.executor, deliver, i) for i in gone))
            except ReelhouseError as exc:
                log.warning("could not poll linked servers: %s", exc.message)

    def _poll_one(self, link_id: str) -> None:
        """One link's status, then, if it answered, the changes that waited for it in the outbox."""
        view = self.peer_links.poll(link_id)
        if view is not None and view.status is ServerStatus.ONLINE:
            # Revocations first: what someone may no longer do reaches the server before any other change
            # (the delivery loop sends no settings change while one still waits).
            self.revocations.deliver(link_id)
            self.remote_admin.deliver(link_id)

    def _key_rotated(self, identity: PeerIdentity) -> None:
        """Every holder of the peer key takes the new one; the listener presents it from the next handshake
        (load_cert_chain replaces the chain of the context it serves with)."""
        self.peering.identity = identity
        self.peer_links.identity = identity
        if self._peer_context is not None:
            self._peer_context.load_cert_chain(identity.cert_path, identity.key_path)

    def _code_issued(self) -> None:
        """Open the peer listener before the code is shown, so that its link carries the address. Called from
        a worker thread; a code made by the CLI (no loop here) is noticed at the next settings tick."""
        loop, app = self._loop, self._app
        if loop is None or app is None:
            return
        if self._peer_runner is None:
            try:
                asyncio.run_coroutine_threadsafe(self.open_peer_listener(app, needed=True), loop).result(10)
            except (TimeoutError, RuntimeError) as exc:
                log.warning("could not open the peer listener: %s", exc)
        # mDNS probing takes a second or two: the code is shown meanwhile, the announcement follows.
        self.executor.submit(self.sync_lan)

    def sync_lan(self) -> None:
        """Announce on the LAN exactly while a code waits and lan_discovery is on; a code used, expired or
        withdrawn stops the announcement at the next settings tick. Blocking: call from a worker thread."""
        settings = self.services.settings
        wanted = bool(settings.get("lan_discovery")) and self.peering.code_waiting()
        host = self.config.host
        hosts = [host] if host not in ("0.0.0.0", "::", "") else local_addresses()  # noqa: S104
        self.lan.sync(wanted, str(settings.get("server_name")), self.peer_port, hosts)

    def _peer_addresses(self) -> list[str]:
        if self.peer_port is None:
            return []
        host = self.config.host
        hosts = [host] if host not in ("0.0.0.0", "::", "") else local_addresses()  # noqa: S104
        return [f"[{h}]:{self.peer_port}" if ":" in h else f"{h}:{self.peer_port}" for h in hosts]

    async def open_peer_listener(self, app: web.Application, needed: bool = False) -> None:
        """The peer listener, once a link code waits or a link exists (checked at each settings tick), or at
        once when ``needed`` (a code shown, a link being made), on ``peer_port``, behind the same gate as the web
        listeners."""
        port = self.config.peer_port
        if self._peer_runner is not None or port is None:
            return
        loop = asyncio.get_running_loop()
        peering = self.peering
        needed = needed or await loop.run_in_executor(
            self.executor, lambda: peering.code_waiting() or bool(peering.links())
        )
        if not needed or self._peer_runner is not None:
            return
        gate = app[GATE]
        runner = web.AppRunner(
            build_peer_app(
                peering,
                self.peer_links,
                self.executor,
                gate,
                self.remote_admin,
                self.federation,
                self.key_rotation,
                self.home_sign_in,
                tunnel_hub=self.tunnel_hub,
            ),
            access_log=None,
        )
        await runner.setup()
        self._peer_context = peering.identity.server_context()
        site = TLSListener(runner, self.config.host, port, gate, self._peer_context)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            log.warning("cannot open the peer listener on port %s: %s", port, exc.strerror or exc)
            return
        self._peer_runner = runner
        self._tls_sites.append(site)
        self.peer_port = site.addresses[0][1]
        log.info("peer listener open on port %s", self.peer_port)
