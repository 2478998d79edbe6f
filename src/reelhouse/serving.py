"""Running a built server: the first run's setup code and demo library, the HTTP and HTTPS listeners (with the
certificate reloaded as it changes), and serving until cancelled or sent SIGTERM. app.py builds the objects;
this opens them to the network."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable

from aiohttp import web

from reelhouse.app import Reelhouse
from reelhouse.errors import ConfigError, ReelhouseError
from reelhouse.services.libraries import DEMO_FOLDER
from reelhouse.services.listener_record import remove_record, write_record
from reelhouse.services.privacy import Listener
from reelhouse.web.gate import GATE
from reelhouse.web.listeners import PlainListener, TLSListener

log = logging.getLogger("reelhouse")


def prepare_first_run(server: Reelhouse) -> str | None:
    """Issue the setup code when nobody owns the server, and add the demo library when none exists."""
    code = server.services.accounts.issue_setup_code()
    if code is not None:
        # The code goes to the console and the log on purpose: whoever can read them may claim the server.
        log.warning("No owner yet. Open the web page and enter this one-time setup code: %s", code)
    libraries = server.services.libraries
    if server.config.demo_library and not libraries.all_for_system():
        from reelhouse.domain.access import system_actor
        from reelhouse.media.demo import generate_demo_library

        demo_root = server.config.data_dir / DEMO_FOLDER
        log.info("no library yet: generating a small demo library in %s", demo_root)
        try:
            roots = generate_demo_library(demo_root)
        except Exception:
            log.exception("could not generate the demo library; add your own with 'reelhouse library add'")
            return code
        for kind, root in roots.items():
            libraries.add(
                system_actor("first-run"), f"Demo {kind.value.replace('_', ' ')}", kind.value, [str(root)]
            )
    return code


async def open_listeners(
    server: Reelhouse,
    runner: web.AppRunner,
    host: str,
    port: int,
    https_port: int | None,
    refresh_seconds: float = 30.0,
) -> list[Listener]:
    """Bind HTTP and, when configured, HTTPS; record the bound addresses for the privacy report."""
    opened: list[Listener] = []
    gate = runner.app[GATE]
    site = PlainListener(runner, host, port, gate)
    await _start(site, "HTTP", "port", host, port)
    opened += _bound("http", site)
    if https_port is not None:
        certificates = server.services.certificates
        assert certificates is not None
        context = certificates.context()
        tls_site = TLSListener(runner, host, https_port, gate, context)
        await _start(tls_site, "HTTPS", "https_port", host, https_port)
        server._tls_sites.append(tls_site)
        bound = _bound("https", tls_site)
        opened += bound
        gate.https_port = bound[0].port
        server._background.append(asyncio.create_task(_refresh_certificates(server, refresh_seconds)))
    server.listeners.extend(opened)
    # Only the HTTPS port is ever forwarded: a remote client is never served over plain HTTP.
    https = [item.port for item in opened if item.scheme == "https"]
    server.portmap.start(asyncio.get_running_loop(), https[0] if https else None)
    return opened


async def _start(site: web.BaseSite, kind: str, setting: str, host: str, port: int) -> None:
    try:
        await site.start()
    except OSError as exc:
        # Name the setting to change: "address already in use" alone does not say which of two ports it was.
        off = " or to off to serve without HTTPS" if setting == "https_port" else ""
        raise ConfigError(
            f"cannot open the {kind} listener on {host}:{port}: {exc.strerror or exc}. Set '{setting}' "
            f"(--{setting.replace('_', '-')}, REELHOUSE_{setting.upper()} or the config file) to a free port{off}"
        ) from None


def _bound(scheme: str, site: PlainListener | TLSListener) -> list[Listener]:
    return [Listener(scheme, address, port) for address, port in site.addresses]


async def _refresh_certificates(server: Reelhouse, every: float) -> None:
    certificates = server.services.certificates
    assert certificates is not None
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(every)
        try:
            if await loop.run_in_executor(server.executor, certificates.refresh):
                log.info("TLS certificate reloaded")
        except ReelhouseError as exc:
            # Keep serving with the certificate already loaded; a half-written file is common.
            log.warning("%s", exc.message)


async def serve(server: Reelhouse, on_ready: Callable[[list[Listener]], None] | None = None) -> None:
    """Run the listeners until cancelled or sent SIGTERM; the scanner schedule runs beside them.

    The bound listeners are recorded in the data folder for the CLI while they are open."""
    config = server.config
    app = server.web_app()
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        # SIGTERM (systemd, docker stop) is a clean shutdown too: the record goes and connections close.
        loop.add_signal_handler(signal.SIGTERM, stop.set)
    try:
        opened = await open_listeners(server, runner, config.host, config.port, config.https_port)
        write_record(config.data_dir, opened)
        if on_ready is not None:
            on_ready(opened)
        if config.scan_on_start:
            for library in server.services.libraries.all_for_system():
                server.services.scanning.start_for_system(library)
        server.services.scanning.start_schedule(config.scan_interval_minutes)
        if config.watch_libraries:
            server.watch_libraries()
        await stop.wait()
    finally:
        remove_record(config.data_dir)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGTERM)
        await runner.cleanup()
