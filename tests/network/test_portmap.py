"""UPnP port forwarding against a simulated gateway on loopback: added with remote access, removed after."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.harness import RunningServer
from tests.network.conftest import configure
from tests.network.igd import SimulatedGateway


@pytest.fixture
def gateway() -> Iterator[SimulatedGateway]:
    simulated = SimulatedGateway()
    yield simulated
    simulated.stop()


def _eventually(check: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_forward_is_added_with_remote_access_and_removed_without(
    tls_server: RunningServer, gateway: SimulatedGateway
) -> None:
    portmap = tls_server.server.portmap
    portmap.description_url = gateway.description_url
    configure(tls_server, port_mapping=True)
    time.sleep(0.3)
    assert gateway.mappings == {}
    configure(tls_server, remote_access=True)
    assert _eventually(lambda: (tls_server.https_port, "TCP") in gateway.mappings)
    entry = gateway.mappings[(tls_server.https_port, "TCP")]  # type: ignore[index]
    assert entry["NewInternalClient"] == "127.0.0.1"
    assert entry["NewInternalPort"] == str(tls_server.https_port)
    assert _eventually(lambda: portmap.mapping is not None)
    report = {f["topic"]: f for f in tls_server.owner().get("/api/privacy").json()["facts"]}
    assert f"forwards TCP port {tls_server.https_port}" in report["port_mapping"]["finding"]
    configure(tls_server, remote_access=False)
    assert _eventually(lambda: gateway.mappings == {})
    assert gateway.calls[-1] == "DeletePortMapping"


def test_forward_is_removed_when_port_mapping_is_turned_off(
    tls_server: RunningServer, gateway: SimulatedGateway
) -> None:
    tls_server.server.portmap.description_url = gateway.description_url
    configure(tls_server, remote_access=True, port_mapping=True)
    assert _eventually(lambda: len(gateway.mappings) == 1)
    configure(tls_server, port_mapping=False)
    assert _eventually(lambda: gateway.mappings == {})


def test_unreachable_router_is_reported_not_hidden(tls_server: RunningServer) -> None:
    portmap = tls_server.server.portmap
    portmap.description_url = "http://127.0.0.1:9/description.xml"
    configure(tls_server, remote_access=True, port_mapping=True)
    assert _eventually(lambda: portmap.last_error is not None)
    assert portmap.describe().startswith("no port forward:")
