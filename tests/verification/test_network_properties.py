"""Property tests for the network classifier: garbage-proof, unspoofable, remote by default."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from reelhouse.domain import network
from reelhouse.domain.settings import defaults

FAST = settings(max_examples=300, deadline=None)

# Network classifier ---------------------------------------------------------------------------
POLICY = network.NetworkPolicy.from_settings(defaults())
PROXY = "10.9.9.9"
PROXIED = network.NetworkPolicy.from_settings({**defaults(), "trusted_proxies": (f"{PROXY}/32",)})
ipv4 = st.builds(lambda n: str(ipaddress.IPv4Address(n)), st.integers(min_value=0, max_value=2**32 - 1))
ipv6 = st.builds(lambda n: str(ipaddress.IPv6Address(n)), st.integers(min_value=0, max_value=2**128 - 1))
addresses = st.one_of(ipv4, ipv6)
public_v4 = ipv4.filter(lambda a: ipaddress.ip_address(a).is_global)


@FAST
@given(st.one_of(st.none(), st.text(max_size=60)), st.one_of(st.none(), st.text(max_size=120)))
def test_classify_never_fails_on_garbage(peer: str | None, forwarded: str | None) -> None:
    found = network.classify(peer, forwarded, PROXIED)
    assert found.zone in set(network.Zone)


@FAST
@given(addresses, st.lists(addresses, max_size=5))
def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(peer: str, hops: list[str]) -> None:
    if PROXIED.trusts(network.parse_address(peer)):
        return
    found = network.classify(peer, ", ".join(hops), PROXIED)
    assert found.address == network.parse_address(peer)
    assert not found.via_proxy


@FAST
@given(st.lists(addresses, max_size=4), public_v4)
def test_a_client_cannot_spoof_its_address_through_a_trusted_proxy(forged: list[str], real: str) -> None:
    found = network.classify(PROXY, ", ".join([*forged, real]), PROXIED)
    assert str(found.address) == real
    assert found.zone is network.Zone.REMOTE


@FAST
@given(public_v4)
def test_a_public_address_is_remote_and_refused_by_default(address: str) -> None:
    peer = network.classify(address, None, POLICY)
    assert peer.zone is network.Zone.REMOTE
    verdict = network.decide(peer, POLICY, host=None, tls=False, page_request=True)
    assert verdict is network.Verdict.REMOTE_ACCESS_OFF


@FAST
@given(ipv4)
def test_ipv4_mapped_ipv6_is_classified_as_the_ipv4_address(address: str) -> None:
    mapped = network.classify(f"::ffff:{address}", None, POLICY)
    plain = network.classify(address, None, POLICY)
    assert (mapped.address, mapped.zone) == (plain.address, plain.zone)


@FAST
@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}\.(example|test|invalid)", fullmatch=True))
def test_unknown_host_names_are_refused_against_dns_rebinding(host: str) -> None:
    assert not network.host_allowed(host, POLICY)
    assert not network.host_allowed(f"{host}:8096", POLICY)
