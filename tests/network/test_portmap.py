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


def test_forward_is_leased_and_renewed_at_half_life_while_wanted(
    tls_server: RunningServer, gateway: SimulatedGateway
) -> None:
    portmap = tls_server.server.portmap
    portmap.description_url = gateway.description_url
    assert portmap.lease_seconds == 3600  # the production lease: an hour, never permanent (0)
    portmap.lease_seconds = 2
    configure(tls_server, remote_access=True, port_mapping=True)
    assert _eventually(lambda: portmap.mapping is not None)
    key = (tls_server.https_port, "TCP")
    assert gateway.mappings[key]["NewLeaseDuration"] == "2"  # type: ignore[index]
    # Renewed every second (half of two): at least three more asks in 3.5 s, each for a finite lease.
    time.sleep(3.5)
    assert 4 <= gateway.calls.count("AddPortMapping") <= 6, gateway.calls
    assert gateway.mappings[key]["NewLeaseDuration"] == "2"  # type: ignore[index]
    configure(tls_server, remote_access=False)
    assert _eventually(lambda: gateway.mappings == {})
    asks = gateway.calls.count("AddPortMapping")
    time.sleep(1.5)  # no longer wanted: no renewal puts it back
    assert gateway.calls.count("AddPortMapping") == asks and gateway.mappings == {}
