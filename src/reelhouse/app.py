"""The only place where objects are created and wired together."""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from reelhouse import __version__
from reelhouse.config import BootConfig
from reelhouse.errors import ReelhouseError
from reelhouse.peer_wiring import PeerWiring
from reelhouse.persistence.accounts import AccountRepository
from reelhouse.persistence.audit import AuditRepository
from reelhouse.persistence.catalogue import CatalogueRepository
from reelhouse.persistence.database import Database
from reelhouse.persistence.federation import FederationRepository
from reelhouse.persistence.invitations import InvitationRepository
from reelhouse.persistence.libraries import LibraryRepository
from reelhouse.persistence.music_apps import MusicAppRepository
from reelhouse.persistence.peer_outbox import PeerOutboxRepository
from reelhouse.persistence.peers import PeerRepository
from reelhouse.persistence.playlists import PlaylistRepository
from reelhouse.persistence.playstate import PlayStateRepository
from reelhouse.persistence.privacy import PrivacyRepository
from reelhouse.persistence.quick_connect import QuickConnectRepository
from reelhouse.persistence.scanstore import ScanStore
from reelhouse.persistence.settings import SettingsRepository
from reelhouse.persistence.subtitles import SubtitleRepository
from reelhouse.persistence.twofactor import TwoFactorRepository
from reelhouse.scanner.runner import Scanner
from reelhouse.scanner.watcher import LibraryWatcher
from reelhouse.services.accounts import AccountService
from reelhouse.services.audio_delivery import AudioDelivery
from reelhouse.services.audit import AuditService, head_file
from reelhouse.services.catalogue import CatalogueService
from reelhouse.services.certificate_upload import CertificateUpload
from reelhouse.services.certificates import CertificateService, local_addresses
from reelhouse.services.federation import FederationService
from reelhouse.services.home_sign_in import STARTS_PER_MINUTE, STARTS_REFUSED, HomeSignIn
from reelhouse.services.home_sign_in_shared import SharedKept
from reelhouse.services.invitations import InvitationService
from reelhouse.services.lan_discovery import LanAnnouncer
from reelhouse.services.libraries import LibraryService
from reelhouse.services.link_scopes import LinkScopes
from reelhouse.services.listener_record import invitation_base
from reelhouse.services.media_access import MediaAccess
from reelhouse.services.media_files import MediaFiles
from reelhouse.services.media_grants import MediaGrants, load_secret
from reelhouse.services.music_apps import MusicAppService
from reelhouse.services.outbox_delivery import OutboxDeliverer
from reelhouse.services.passwords import Passwords
from reelhouse.services.peer_identity import load_identity
from reelhouse.services.peer_keys import KeyRotation
from reelhouse.services.peer_links import PeerLinks
from reelhouse.services.peering import PeeringService
from reelhouse.services.playlists import PlaylistService
from reelhouse.services.playstate import PlayStateService
from reelhouse.services.portmap import PortMapper, discover_igd
from reelhouse.services.privacy import Listener, PrivacyService
from reelhouse.services.quick_connect import QuickConnectService
from reelhouse.services.remote_admin import RemoteAdmin
from reelhouse.services.remote_encoder import RemoteEncoders
from reelhouse.services.renditions import RenditionService
from reelhouse.services.revocations import Revocations
from reelhouse.services.scanning import ScanService, alone
from reelhouse.services.seek_previews import SeekPreviews
from reelhouse.services.settings import SettingsService
from reelhouse.services.shared_throttle import SharedThrottle, SharedWindow
from reelhouse.services.transcoding import TranscodeService
from reelhouse.services.twofactor import TwoFactorService
from reelhouse.services.users import UserService
from reelhouse.web.context import Services
from reelhouse.web.gate import machine_names
from reelhouse.web.listeners import TLSListener
from reelhouse.web.peer_tunnel import TunnelDialer, TunnelHub
from reelhouse.web.server import build_web_app

if TYPE_CHECKING:
    from reelhouse.services.cluster import ClusterSync

log = logging.getLogger("reelhouse")

SETTINGS_RELOAD_SECONDS = 2.0
# How often the poller looks for linked servers due a status check (each is due about once a minute).
POLL_TICK_SECONDS = 5.0


def _remote_encoders(broker_url: str, settings: SettingsService, token_key: bytes) -> RemoteEncoders | None:
    if not broker_url:
        return None
    # Imported only here: Celery and redis are the `workers` extra, which a single machine never installs.
    from reelhouse.services.transcode_queue import TranscodeQueue

    return RemoteEncoders(TranscodeQueue(broker_url), token_key, lambda: str(settings.get("transcode_gpu")))


class Reelhouse(PeerWiring):
    """One server's objects, built from the boot config. Nothing here is module-level state."""

    def __init__(self, config: BootConfig) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(config.data_dir, 0o700)
        self.db = Database(config.effective_database_url)
        self.backup_written = self.db.migrate(backup_dir=config.data_dir / "backups")
        audit = AuditService(self.db, AuditRepository(), head_file(config.data_dir))
        libraries = LibraryService(self.db, LibraryRepository(), audit, config.data_dir)
        self.scanner = Scanner(self.db, self.cache_dir, workers=config.scan_workers)
        catalogue = CatalogueService(self.db, CatalogueRepository(), LibraryRepository())
        settings = SettingsService(self.db, SettingsRepository(), audit)
        audit.keep_for(lambda: int(settings.get("audit_retention_days")))
        passwords = Passwords()
        twofactor = TwoFactorService(
            self.db, TwoFactorRepository(), audit, settings.get, load_secret(config.data_dir / "totp.key")
        )
        # Web nodes sharing one database count sign-in guesses together, or each would give a guesser its own
        # allowance; a single machine counts them in memory.
        throttle = SharedThrottle(self.db, "sign-in") if config.cluster else None
        accounts = AccountService(
            self.db, AccountRepository(), audit, passwords, twofactor, settings.get, throttle
        )
        # Bound once the peer listener is open: its port goes into the link a code's screen offers.
        self.peer_port: int | None = None
        self._peer_runner: web.AppRunner | None = None
        identity = load_identity(config.data_dir / "peer")
        self.peering = PeeringService(
            self.db,
            PeerRepository(),
            audit,
            identity,
            load_secret(config.data_dir / "peer" / "codes.key"),
            accounts.check_own_password,
            server_name=lambda: str(settings.get("server_name")),
            addresses=self._peer_addresses,
            on_code=self._code_issued,
            twofactor=twofactor,
        )
        # mDNS hint on the LAN, only while a code waits and lan_discovery is on (services/lan_discovery.py).
        self.lan = LanAnnouncer()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._app: web.Application | None = None
        self.listeners: list[Listener] = []
        self._background: list[asyncio.Task[None]] = []
        self._tls_sites: list[TLSListener] = []
        certificates = CertificateService(
            config.data_dir / "certificates",
            machine_names(),
            [a for a in ("127.0.0.1", "::1", config.host, *local_addresses()) if a not in ("0.0.0.0", "::")],  # noqa: S104
        )
        self.portmap = PortMapper(lambda: settings.values, discover=discover_igd)
        settings.on_change(self.portmap.settings_changed)
        privacy = PrivacyService(
            self.db,
            PrivacyRepository(),
            settings,
            certificates,
            lambda: list(self.listeners),
            self.portmap.describe,
            port_forwarded=lambda: self.portmap.mapping is not None,
        )
        # One key signs media URLs and makes transcode jobs' tokens; every web node of a cluster holds the same one.
        grant_key = load_secret(config.data_dir / "grant.key")
        encoders = TranscodeService(
            self.cache_dir,
            settings.get,
            remote=_remote_encoders(config.transcode_broker_url, settings, grant_key),
        )
        # With `cluster` on, what this node caches follows the other nodes' changes (services/cluster.py).
        self.cluster: ClusterSync | None = None
        scanning = ScanService(
            self.scanner,
            libraries,
            on_change=lambda: self._catalogue_changed(catalogue),
            # Bound late: the previews read files through the media access decision, built below.
            after_scan=lambda library_id: self.seek_previews.queue_library(library_id),
            exclusive=lambda library_id, on_lost: (
                self.cluster.library_scan(library_id, on_lost) if self.cluster else alone(library_id)
            ),
            claim_tick=lambda job, period: self.cluster is None or self.cluster.claim_tick(job, period),
        )
        files = MediaFiles(protected=self._protected_files, on_mismatch=scanning.rescan_soon)
        media = MediaAccess(
            self.db,
            CatalogueRepository(),
            LibraryRepository(),
            AccountRepository(),
            SubtitleRepository(),
            MediaGrants(grant_key),
            files,
            encoders,
            RenditionService(self.cache_dir, files, encoders),
            ScanStore(),
            settings.get,
            artwork_cache=self.cache_dir / "artwork",
            on_broken=scanning.note_issue,
        )
        accounts.on_sessions_ended = media.sessions_ended
        if config.cluster:
            # Imported only here: it needs psycopg, which a single machine on SQLite does not install.
            from reelhouse.services.cluster import ClusterSync

            self.cluster = ClusterSync(
                self.db,
                settings,
                libraries,
                catalogue,
                media,
                lambda: [u["id"] for u in accounts.list_users()],
                resume_scan=scanning.resume,
            )
            # Every audited change is announced in its own transaction, by the CLI's changes as by the server's.
            audit.on_record = self.cluster.announce
            # HLS sessions in PostgreSQL: any node serves any session, and outlives the node that started it.
            from reelhouse.services.hls_shared import SharedSessions

            shared = SharedSessions(self.db, self.cluster.node, media)
            encoders.share(shared)
            media.adopt = shared.adopt
        self.peer_links = PeerLinks(
            self.db,
            PeerRepository(),
            identity,
            status_source=lambda: {
                "name": settings.get("server_name"),
                "version": __version__,
                "remote_access": bool(settings.get("remote_access")),
                "secure_connections": settings.get("secure_connections"),
                "active_streams": len(media.open) + len(encoders.active()),
                "web_url": self._web_base(),
            },
        )
        # One delivery loop for both kinds of outbox entry: one lock per link, revocations first.
        deliverer = OutboxDeliverer(self.db, PeerOutboxRepository())
        self.remote_admin = RemoteAdmin(
            self.db, PeerRepository(), PeerOutboxRepository(), self.peer_links, settings, audit, deliverer
        )
        self.revocations = Revocations(
            self.db, PeerRepository(), PeerOutboxRepository(), self.peer_links, audit, deliverer
        )
        # Unlinking here tells the other server, at once or from the outbox.
        self.peering.on_removed = self.revocations.unlink
        self.federation = FederationService(
            self.db,
            FederationRepository(),
            PeerRepository(),
            AccountRepository(),
            LibraryRepository(),
            self.peer_links,
            accounts,
            audit,
            self.revocations,
        )
        self.home_sign_in = HomeSignIn(
            self.db,
            PeerRepository(),
            self.peer_links,
            self.federation,
            self._web_base,
            # Web nodes share the sign-ins under way, so one started on a node may finish on another.
            kept=(lambda kind: SharedKept(self.db, kind)) if config.cluster else None,
            starts=(
                SharedWindow(self.db, "home-start", STARTS_PER_MINUTE, 60.0, STARTS_REFUSED)
                if config.cluster
                else None
            ),
        )
        # Tunnels linked servers keep open to this one: tried after a link's addresses fail.
        self.tunnel_hub = TunnelHub()
        self.peer_links.tunnel = self.tunnel_hub.send
        self.key_rotation = KeyRotation(self.db, PeerRepository(), audit, self.peer_links, self._key_rotated)
        self._peer_context: ssl.SSLContext | None = None
        self.seek_previews = SeekPreviews(
            self.db, media, self.cache_dir, on_broken=scanning.note_issue, setting=settings.get
        )
        self.services = Services(
            accounts=accounts,
            audit=audit,
            catalogue=catalogue,
            libraries=libraries,
            scanning=scanning,
            settings=settings,
            version=__version__,
            playstate=PlayStateService(self.db, PlayStateRepository()),
            media=media,
            audio=AudioDelivery(media, encoders),
            certificates=certificates,
            privacy=privacy,
            users=UserService(
                self.db,
                AccountRepository(),
                audit,
                passwords,
                twofactor,
                on_change=self._user_changed,
            ),
            invitations=InvitationService(
                self.db, InvitationRepository(), AccountRepository(), accounts, audit, settings.get
            ),
            twofactor=twofactor,
            certificate_upload=CertificateUpload(
                self.db, audit, certificates, settings=lambda: settings.values
            ),
            quick_connect=QuickConnectService(
                self.db,
                QuickConnectRepository(),
                accounts,
                audit,
                load_secret(config.data_dir / "quick-connect.key"),
                throttle=SharedThrottle(self.db, "quick-connect") if config.cluster else None,
            ),
            music_apps=MusicAppService(
                self.db,
                AccountRepository(),
                MusicAppRepository(),
                audit,
                lambda: accounts.throttle,
                load_secret(config.data_dir / "music-apps.key"),
                libraries.music_ids,
            ),
            playlists=PlaylistService(self.db, PlaylistRepository()),
            seek_previews=self.seek_previews,
            peering=self.peering,
            link_scopes=LinkScopes(self.db, PeerRepository(), audit, self.peering),
            peer_links=self.peer_links,
            key_rotation=self.key_rotation,
            federation=self.federation,
            remote_admin=self.remote_admin,
            home_sign_in=self.home_sign_in,
            # Random, made once and kept: apps compare it between answers, and it says nothing about the host.
            server_id=load_secret(config.data_dir / "server-id.key")[:16].hex(),
        )
        self.executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="reelhouse")
        # This server's own tunnels to its linked servers, while peer_tunnel is on.
        self.tunnel_dialer = TunnelDialer(
            self.peer_links,
            lambda: bool(settings.get("peer_tunnel")),
            lambda: (self.config.host, self.peer_port),
            self.executor,
        )

    @property
    def cache_dir(self) -> Path:
        return self.config.data_dir / "cache"

    def watch_libraries(self) -> None:
        """Rescan libraries whose files change. The data and cache folders are never watched: the server
        writes there all the time, and a library holding them would rescan forever."""
        ignore = (self.config.data_dir, self.cache_dir)
        self.services.scanning.watch(
            lambda libraries, changed: LibraryWatcher(libraries, changed, ignore=ignore)
        )

    def _protected_files(self) -> list[Path]:
        """The server's own secrets and database: never sent as media, whatever name reaches them."""
        data = self.config.data_dir
        found: list[Path] = []
        for entry in data.iterdir() if data.is_dir() else ():
            if entry.is_file():
                found.append(entry)
            elif entry.is_dir() and entry.name != "cache":
                # Certificates and their keys, database backups.
                found.extend(p for p in entry.iterdir() if p.is_file())
        database = self.config.effective_database_url.removeprefix("sqlite:///")
        return [*found, Path(database), Path(database + "-wal"), Path(database + "-shm")]

    def web_app(self) -> web.Application:
        app = build_web_app(self.services, self.executor)
        app.on_startup.append(self._on_startup)
        app.on_cleanup.append(self._on_cleanup)
        return app

    def _catalogue_changed(self, catalogue: CatalogueService) -> None:
        catalogue.catalogue_changed()
        if self.cluster is not None:
            self.cluster.catalogue_changed()

    async def _on_startup(self, app: web.Application) -> None:
        self._loop, self._app = asyncio.get_running_loop(), app
        if self.cluster is not None:
            self.cluster.start()
        self._background.append(asyncio.create_task(self._poll_peers(POLL_TICK_SECONDS)))
        self.tunnel_dialer.start()
        self._background.append(asyncio.create_task(self._reload_settings(SETTINGS_RELOAD_SECONDS, app)))

    def _user_changed(self, user_id: str) -> None:
        """A user changed or deleted by an admin: cut what they may no longer stream, and tell the linked
        servers they were shared on when the account has ended."""
        self.services.media.user_changed(user_id)
        self.federation.user_changed(user_id)

    def _web_base(self) -> str | None:
        """Where browsers reach this server, for a linked server's "Sign in with Home": as invitations say."""
        settings = self.services.settings
        https_first = settings.get("secure_connections") == "required"
        return invitation_base(settings.get("public_urls"), self.listeners, https_first)

    async def _reload_settings(self, every: float, app: web.Application) -> None:
        """Settings saved by the CLI while the server runs apply within ``every`` seconds; a link code made
        meanwhile (by the web page or the CLI) opens the peer listener."""
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(every)
            try:
                await self.open_peer_listener(app)
            except ReelhouseError as exc:
                log.warning("could not open the peer listener: %s", exc.message)
            try:
                await loop.run_in_executor(self.executor, self.sync_lan)
            except ReelhouseError as exc:
                log.warning("could not update the LAN announcement: %s", exc.message)
            if self.cluster is not None:
                continue  # the cluster listener applies every change within a moment, its own re-reads included
            try:
                if await loop.run_in_executor(self.executor, self.services.settings.reload):
                    log.info("runtime settings changed outside the server; applied")
            except ReelhouseError as exc:
                log.warning("could not reload settings: %s", exc.message)

    async def _on_cleanup(self, _app: web.Application) -> None:
        await self.tunnel_dialer.stop()
        # The peer listener stops (noting its TLS connections) before every TLS site ends them: in the other
        # order its connections were never noted, and one whose client stays silent kept its socket open.
        if self._peer_runner is not None:
            await self._peer_runner.cleanup()
        for site in self._tls_sites:
            await site.end()
        await self.portmap.stop()
        # Before the executor goes: the goodbye records tell browsers at once that the hint is gone.
        await asyncio.get_running_loop().run_in_executor(self.executor, self.lan.close)
        self.close()

    def close(self) -> None:
        for task in self._background:
            task.cancel()
        self.services.scanning.stop()
        self.scanner.close()
        self.services.media.encoders.close()
        # After the encoders: a preview waiting for a slot gives up once they close.
        self.seek_previews.close()
        self.services.catalogue.close()
        if self.cluster is not None:
            self.cluster.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.services.audit.flush_head()
        self.db.close()
