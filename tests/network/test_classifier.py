"""Properties of the pure classifier and the gate's decision."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from reelhouse.domain import settings as registry
from reelhouse.domain.network import (
    NetworkPolicy,
    Verdict,
    Zone,
    classify,
    decide,
    host_allowed,
    parse_address,
)

ipv4 = st.builds(ipaddress.IPv4Address, st.integers(0, 2**32 - 1))
ipv6 = st.builds(ipaddress.IPv6Address, st.integers(0, 2**128 - 1))
addresses = st.one_of(ipv4, ipv6)
header_junk = st.text(alphabet="0123456789abcdef:.,[] %f", max_size=60)


def policy(**values: object) -> NetworkPolicy:
    return NetworkPolicy.from_settings({**registry.defaults(), **values})


LOOPBACK_ONLY = policy(lan_networks=("127.0.0.1/32",), trusted_proxies=("127.0.0.9/32",))


@given(ipv4)
def test_ipv4_mapped_ipv6_classifies_like_the_ipv4_address(address: ipaddress.IPv4Address) -> None:
    mapped = f"::ffff:{address}"
    assert classify(mapped, None, LOOPBACK_ONLY) == classify(str(address), None, LOOPBACK_ONLY)
    assert classify(mapped, None, policy()).zone == classify(str(address), None, policy()).zone


@given(addresses, header_junk)
def test_forwarded_for_from_an_untrusted_peer_never_changes_the_answer(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, forwarded: str
) -> None:
    if LOOPBACK_ONLY.trusts(parse_address(str(address))):
        return
    assert classify(str(address), forwarded, LOOPBACK_ONLY) == classify(str(address), None, LOOPBACK_ONLY)


@given(st.lists(addresses, min_size=1, max_size=5), header_junk)
def test_through_a_trusted_proxy_the_right_most_untrusted_hop_decides(
    hops: list[ipaddress.IPv4Address | ipaddress.IPv6Address], prefix: str
) -> None:
    forwarded = ", ".join([prefix, *map(str, hops)]) if prefix.strip(", ") else ", ".join(map(str, hops))
    peer = classify("127.0.0.9", forwarded, LOOPBACK_ONLY)
    last = parse_address(str(hops[-1]))
    if last is not None and not LOOPBACK_ONLY.trusts(last):
        assert peer.address == last
        assert peer.zone is LOOPBACK_ONLY.zone_of(last)


@given(addresses)
def test_only_lan_members_are_not_remote(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    peer = classify(str(address), None, policy())
    normal = parse_address(str(address))
    assert normal is not None
    inside = any(
        normal.version == net.version and normal in net
        for net in map(ipaddress.ip_network, registry.DEFAULT_LAN)
    )
    assert (peer.zone is not Zone.REMOTE) == inside


@given(addresses, st.booleans(), st.sampled_from(list(registry.SecureConnections)), st.booleans())
def test_remote_access_off_refuses_every_remote_peer(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address,
    tls: bool,
    secure: registry.SecureConnections,
    page: bool,
) -> None:
    rules = policy(lan_networks=("127.0.0.1/32",), secure_connections=secure.value)
    peer = classify(str(address), None, rules)
    verdict = decide(peer, rules, host="localhost", tls=tls, page_request=page)
    if peer.zone is Zone.REMOTE:
        assert verdict is Verdict.REMOTE_ACCESS_OFF
    else:
        assert verdict is not Verdict.REMOTE_ACCESS_OFF


@given(addresses, st.booleans())
def test_remote_client_is_never_allowed_over_plain_http(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, page: bool
) -> None:
    rules = policy(lan_networks=("127.0.0.1/32",), remote_access=True)
    peer = classify(str(address), None, rules)
    verdict = decide(peer, rules, host=None, tls=False, page_request=page)
    assert (verdict is Verdict.ALLOW) == (peer.zone is not Zone.REMOTE)


def test_excluded_lan_entry_makes_an_address_remote() -> None:
    rules = policy(lan_networks=("10.0.0.0/8", "!10.9.0.0/16"))
    assert classify("10.1.2.3", None, rules).zone is Zone.LAN
    assert classify("10.9.2.3", None, rules).zone is Zone.REMOTE


def test_unparseable_peer_is_remote() -> None:
    assert classify("garbage", None, policy()).zone is Zone.REMOTE


@given(st.text(max_size=40))
def test_host_check_never_raises(host: str) -> None:
    assert host_allowed(host, policy()) in (True, False)


@given(st.from_regex(r"[a-z][a-z0-9-]{0,20}\.example(:[0-9]{1,5})?", fullmatch=True))
def test_unlisted_names_are_refused_and_listed_ones_pass(host: str) -> None:
    assert host_allowed(host, policy()) is False
    assert host_allowed(host, policy(allowed_hosts=(host.split(":")[0],))) is True
    assert host_allowed(host, policy(allowed_hosts=("*.example",))) is True
