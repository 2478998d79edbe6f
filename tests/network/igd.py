"""A small simulated UPnP internet gateway on loopback: description, SCPD and SOAP port-mapping actions."""

from __future__ import annotations

import asyncio
import threading
import xml.etree.ElementTree as ET

from aiohttp import web

SERVICE = "urn:schemas-upnp-org:service:WANIPConnection:1"

DESCRIPTION = f"""<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <device>
    <deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:1</deviceType>
    <friendlyName>Test gateway</friendlyName><manufacturer>tests</manufacturer><modelName>igd</modelName>
    <UDN>uuid:00000000-0000-0000-0000-000000000001</UDN>
    <deviceList><device>
      <deviceType>urn:schemas-upnp-org:device:WANDevice:1</deviceType>
      <friendlyName>WAN</friendlyName><manufacturer>tests</manufacturer><modelName>wan</modelName>
      <UDN>uuid:00000000-0000-0000-0000-000000000002</UDN>
      <deviceList><device>
        <deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:1</deviceType>
        <friendlyName>WAN connection</friendlyName><manufacturer>tests</manufacturer><modelName>conn</modelName>
        <UDN>uuid:00000000-0000-0000-0000-000000000003</UDN>
        <serviceList><service>
          <serviceType>{SERVICE}</serviceType>
          <serviceId>urn:upnp-org:serviceId:WANIPConn1</serviceId>
          <SCPDURL>/wanip.xml</SCPDURL><controlURL>/control</controlURL><eventSubURL>/events</eventSubURL>
        </service></serviceList>
      </device></deviceList>
    </device></deviceList>
  </device>
</root>"""

_ARGS = {
    "AddPortMapping": [
        ("NewRemoteHost", "in", "RemoteHost"),
        ("NewExternalPort", "in", "ExternalPort"),
        ("NewProtocol", "in", "PortMappingProtocol"),
        ("NewInternalPort", "in", "InternalPort"),
        ("NewInternalClient", "in", "InternalClient"),
        ("NewEnabled", "in", "PortMappingEnabled"),
        ("NewPortMappingDescription", "in", "PortMappingDescription"),
        ("NewLeaseDuration", "in", "PortMappingLeaseDuration"),
    ],
    "DeletePortMapping": [
        ("NewRemoteHost", "in", "RemoteHost"),
        ("NewExternalPort", "in", "ExternalPort"),
        ("NewProtocol", "in", "PortMappingProtocol"),
    ],
    "GetSpecificPortMappingEntry": [
        ("NewRemoteHost", "in", "RemoteHost"),
        ("NewExternalPort", "in", "ExternalPort"),
        ("NewProtocol", "in", "PortMappingProtocol"),
        ("NewInternalPort", "out", "InternalPort"),
        ("NewInternalClient", "out", "InternalClient"),
        ("NewEnabled", "out", "PortMappingEnabled"),
        ("NewPortMappingDescription", "out", "PortMappingDescription"),
        ("NewLeaseDuration", "out", "PortMappingLeaseDuration"),
    ],
}
_VARIABLES = {
    "RemoteHost": "string",
    "ExternalPort": "ui2",
    "PortMappingProtocol": "string",
    "InternalPort": "ui2",
    "InternalClient": "string",
    "PortMappingEnabled": "boolean",
    "PortMappingDescription": "string",
    "PortMappingLeaseDuration": "ui4",
}


def _scpd() -> str:
    actions = "".join(
        f"<action><name>{name}</name><argumentList>"
        + "".join(
            f"<argument><name>{a}</name><direction>{d}</direction><relatedStateVariable>{v}</relatedStateVariable></argument>"
            for a, d, v in args
        )
        + "</argumentList></action>"
        for name, args in _ARGS.items()
    )
    variables = "".join(
        f'<stateVariable sendEvents="no"><name>{n}</name><dataType>{t}</dataType></stateVariable>'
        for n, t in _VARIABLES.items()
    )
    return (
        '<?xml version="1.0"?><scpd xmlns="urn:schemas-upnp-org:service-1-0">'
        "<specVersion><major>1</major><minor>0</minor></specVersion>"
        f"<actionList>{actions}</actionList><serviceStateTable>{variables}</serviceStateTable></scpd>"
    )


def _envelope(body: str) -> str:
    return (
        '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        's:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>'
        + body
        + "</s:Body></s:Envelope>"
    )


class SimulatedGateway:
    """Holds the forwards a client asked for, keyed by (external port, protocol)."""

    def __init__(self) -> None:
        self.mappings: dict[tuple[int, str], dict[str, str]] = {}
        self.calls: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10)
        self.description_url = f"http://127.0.0.1:{self.port}/description.xml"

    async def _control(self, request: web.Request) -> web.Response:
        action = request.headers.get("SOAPACTION", "").strip('"').split("#")[-1]
        self.calls.append(action)
        body = ET.fromstring(await request.read())
        args = {
            el.tag.split("}")[-1]: (el.text or "")
            for el in body.iter()
            if el.tag.split("}")[-1].startswith("New")
        }
        key = (int(args["NewExternalPort"]), args["NewProtocol"])
        if action == "AddPortMapping":
            self.mappings[key] = args
            out = ""
        elif action == "DeletePortMapping":
            if self.mappings.pop(key, None) is None:
                return self._fault(714, "NoSuchEntryInArray")
            out = ""
        elif action == "GetSpecificPortMappingEntry":
            entry = self.mappings.get(key)
            if entry is None:
                return self._fault(714, "NoSuchEntryInArray")
            out = "".join(
                f"<{k}>{entry[k]}</{k}>"
                for k in (
                    "NewInternalPort",
                    "NewInternalClient",
                    "NewEnabled",
                    "NewPortMappingDescription",
                    "NewLeaseDuration",
                )
            )
        else:
            return self._fault(401, "Invalid Action")
        text = _envelope(f'<u:{action}Response xmlns:u="{SERVICE}">{out}</u:{action}Response>')
        return web.Response(text=text, content_type="text/xml")

    async def _description(self, _request: web.Request) -> web.Response:
        return web.Response(text=DESCRIPTION, content_type="text/xml")

    async def _service(self, _request: web.Request) -> web.Response:
        return web.Response(text=_scpd(), content_type="text/xml")

    def _fault(self, code: int, message: str) -> web.Response:
        detail = (
            "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail>"
            f'<UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>{code}</errorCode>'
            f"<errorDescription>{message}</errorDescription></UPnPError></detail></s:Fault>"
        )
        return web.Response(status=500, text=_envelope(detail), content_type="text/xml")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_get("/description.xml", self._description)
        app.router.add_get("/wanip.xml", self._service)
        app.router.add_post("/control", self._control)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
