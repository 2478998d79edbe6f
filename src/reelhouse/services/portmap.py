"""UPnP-IGD port forwarding: asked of the router while remote access and port mapping are on, removed after."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from async_upnp_client.aiohttp import AiohttpRequester
from async_upnp_client.client import UpnpDevice, UpnpService
from async_upnp_client.client_factory import UpnpFactory
from async_upnp_client.exceptions import UpnpActionResponseError, UpnpError
from defusedxml import DefusedXmlException

log = logging.getLogger(__name__)

WAN_SERVICES = (
    "urn:schemas-upnp-org:service:WANIPConnection:2",
    "urn:schemas-upnp-org:service:WANIPConnection:1",
    "urn:schemas-upnp-org:service:WANPPPConnection:1",
)
IGD_SEARCH_TARGET = "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
DESCRIPTION = "Reelhouse"
# Forwards are leased, never permanent: if the server dies without removing one, the router drops it when the
# lease runs out. While the forward is wanted it is renewed at half-life.
LEASE_SECONDS = 3600
# After a failed renewal, try again this soon (the old lease still has half its life).
RETRY_SECONDS = 60.0
_ONLY_PERMANENT_LEASES = 725


@dataclass(frozen=True)
class Mapping:
    router: str
    external_port: int
    internal_client: str
    internal_port: int
    confirmed_at: float
    lease_seconds: int


def _wan_service(device: UpnpDevice) -> UpnpService:
    for service in device.all_services:
        if service.service_type in WAN_SERVICES:
            return service
    raise UpnpError("the router offers no WANIPConnection or WANPPPConnection service")


def _local_address_towards(url: str) -> str:
    """The address this machine uses to reach the router: what the router must forward to. A UDP
    connect sends nothing; it only makes the kernel pick the route."""
    host = urlsplit(url).hostname or "127.0.0.1"
    port = urlsplit(url).port or 80
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect((host, port))
        return str(probe.getsockname()[0])


class PortMapper:
    """Follows the settings: wanted = remote_access and port_mapping. Changes arrive on a worker thread,
    so the work is handed to the server's event loop, one reconciliation at a time."""

    def __init__(
        self,
        settings_values: Callable[[], dict[str, Any]],
        description_url: str | None = None,
        discover: Callable[[], Any] | None = None,
        lease_seconds: int = LEASE_SECONDS,
    ) -> None:
        self._values = settings_values
        self.description_url = description_url
        self._discover = discover
        self.lease_seconds = lease_seconds
        self._renewal: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._port: int | None = None
        self._lock = asyncio.Lock()
        self.mapping: Mapping | None = None
        self.last_error: str | None = None

    def wanted(self) -> bool:
        values = self._values()
        return bool(values["remote_access"] and values["port_mapping"])

    def start(self, loop: asyncio.AbstractEventLoop, port: int | None) -> concurrent.futures.Future[None]:
        self._loop = loop
        self._port = port
        return asyncio.run_coroutine_threadsafe(self.reconcile(), loop)

    def settings_changed(self, before: dict[str, Any], after: dict[str, Any]) -> None:
        keys = ("remote_access", "port_mapping")
        if self._loop is None or all(before[k] == after[k] for k in keys):
            return
        asyncio.run_coroutine_threadsafe(self.reconcile(), self._loop)

    async def reconcile(self) -> None:
        async with self._lock:
            await self._reconcile_locked()

    async def _reconcile_locked(self, renew: bool = False) -> bool:
        """Add, renew or remove the forward as the settings want; False when the router could not be asked."""
        try:
            if self.wanted() and (self.mapping is None or renew):
                await self._add()
            elif not self.wanted() and self.mapping is not None:
                await self._remove()
            self.last_error = None
            return True
        except (TimeoutError, UpnpError, OSError) as exc:
            self.last_error = str(exc) or type(exc).__name__
        except DefusedXmlException as exc:
            # async-upnp-client parses with defusedxml but passes its refusals (entities, external
            # references) up as they are: a hostile router is a failed mapping, reported, not a crash.
            self.last_error = f"the router's XML was refused ({type(exc).__name__})"
        log.warning("port mapping: %s", self.last_error)
        return False

    def _renew_after(self, seconds: float) -> None:
        self._cancel_renewal()
        self._renewal = asyncio.get_running_loop().create_task(self._renew(seconds))

    def _cancel_renewal(self) -> None:
        if self._renewal is not None and self._renewal is not asyncio.current_task():
            self._renewal.cancel()
        self._renewal = None

    async def _renew(self, delay: float) -> None:
        await asyncio.sleep(delay)
        async with self._lock:
            if not self.wanted():
                return
            mapping = self.mapping
            if await self._reconcile_locked(renew=True):
                return  # _add() planned the next renewal
            if mapping is not None and time.time() >= mapping.confirmed_at + mapping.lease_seconds:
                self.mapping = None  # the router has dropped it by now; keep trying to add it again
            self._renew_after(min(RETRY_SECONDS, self.lease_seconds / 2))

    async def _device(self) -> tuple[str, UpnpDevice]:
        url = self.description_url
        if url is None and self._discover is not None:
            url = await self._discover()
        if url is None:
            raise UpnpError("no UPnP router was found on the home network")
        factory = UpnpFactory(AiohttpRequester(timeout=5), non_strict=True)
        return url, await factory.async_create_device(url)

    async def _add(self) -> None:
        if self._port is None:
            raise UpnpError("no HTTPS listener to forward; set https_port")
        url, device = await self._device()
        service = _wan_service(device)
        client = _local_address_towards(url)
        try:
            await service.action("AddPortMapping").async_call(
                NewRemoteHost="",
                NewExternalPort=self._port,
                NewProtocol="TCP",
                NewInternalPort=self._port,
                NewInternalClient=client,
                NewEnabled=True,
                NewPortMappingDescription=DESCRIPTION,
                NewLeaseDuration=self.lease_seconds,
            )
        except UpnpActionResponseError as exc:
            if exc.error_code != _ONLY_PERMANENT_LEASES:
                raise
            raise UpnpError(
                "the router accepts only permanent forwards, which would stay open if the server stopped "
                f"without removing them; forward port {self._port} in the router's own settings instead"
            ) from None
        # Read it back: the report states what the router holds, not what we asked for.
        entry = await service.action("GetSpecificPortMappingEntry").async_call(
            NewRemoteHost="", NewExternalPort=self._port, NewProtocol="TCP"
        )
        if entry.get("NewInternalClient") != client or int(entry.get("NewInternalPort", 0)) != self._port:
            raise UpnpError(f"the router holds a different forward for port {self._port}: {entry}")
        self.mapping = Mapping(url, self._port, client, self._port, time.time(), self.lease_seconds)
        self._renew_after(self.lease_seconds / 2)

    async def _remove(self) -> None:
        mapping = self.mapping
        self._cancel_renewal()
        if mapping is None:
            return
        factory = UpnpFactory(AiohttpRequester(timeout=5), non_strict=True)
        device = await factory.async_create_device(mapping.router)
        await (
            _wan_service(device)
            .action("DeletePortMapping")
            .async_call(NewRemoteHost="", NewExternalPort=mapping.external_port, NewProtocol="TCP")
        )
        self.mapping = None

    async def stop(self) -> None:
        """On shutdown the forward goes too: a stopped server should leave no hole in the router."""
        async with self._lock:
            self._cancel_renewal()
            if self.mapping is not None:
                try:
                    await self._remove()
                except (TimeoutError, UpnpError, OSError, DefusedXmlException) as exc:
                    log.warning("port mapping not removed: %s", exc)

    def describe(self) -> str:
        if self.mapping is not None:
            m = self.mapping
            return (
                f"router {urlsplit(m.router).hostname} forwards TCP port {m.external_port} to "
                f"{m.internal_client}:{m.internal_port} (read back from the router)"
            )
        if self.last_error is not None:
            return f"no port forward: {self.last_error}"
        if self.wanted():
            return "port forward wanted but not yet in place"
        return "no port forward was requested from the router"


async def discover_igd(timeout: int = 4) -> str | None:
    """SSDP search on the home network; only the production path uses it (tests give a URL)."""
    from async_upnp_client.search import async_search

    found: list[str] = []

    async def on_response(headers: Any) -> None:
        location = headers.get("location")
        if location and not found:
            found.append(str(location))

    await async_search(on_response, timeout=timeout, search_target=IGD_SEARCH_TARGET)
    return found[0] if found else None
