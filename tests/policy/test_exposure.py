"""What "internet-wide", "public" and "every port" mean, checked as properties (Hypothesis) and by example."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network

from hypothesis import given
from hypothesis import strategies as st

from infragate.model import SecurityRule
from infragate.model.network import PortRange, Protocol
from infragate.policy.exposure import (
    NEARLY_ALL_PORTS,
    internet_wide,
    opens_nearly_every_port,
    opens_port,
    port_coverage,
    public_but_narrow,
)

PRIVATE_V4 = [ip_network(c) for c in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "127.0.0.0/8")]
NOT_ON_THE_INTERNET = [*PRIVATE_V4, *(ip_network(c) for c in ("0.0.0.0/8", "224.0.0.0/4", "240.0.0.0/4"))]


def rule(first: int, last: int, protocol: Protocol = Protocol.TCP, cidr: str = "0.0.0.0/0") -> SecurityRule:
    return SecurityRule(protocol=protocol, ports=PortRange(first=first, last=last), cidr=ip_network(cidr))


@st.composite
def ipv4_networks(draw: st.DrawFn) -> IPv4Network:
    prefix = draw(st.integers(min_value=0, max_value=32))
    address = draw(st.integers(min_value=0, max_value=2**32 - 1))
    return IPv4Network((address >> (32 - prefix) << (32 - prefix), prefix))


@st.composite
def port_ranges(draw: st.DrawFn) -> tuple[int, int]:
    first = draw(st.integers(min_value=0, max_value=65535))
    return first, draw(st.integers(min_value=first, max_value=65535))


@given(ipv4_networks())
def test_a_range_is_never_both_internet_wide_and_narrow(cidr: IPv4Network) -> None:
    assert not (internet_wide(cidr) and public_but_narrow(cidr))


@given(ipv4_networks())
def test_anything_containing_an_internet_wide_range_is_internet_wide(cidr: IPv4Network) -> None:
    if internet_wide(cidr) and cidr.prefixlen > 0:
        assert internet_wide(cidr.supernet())


@given(ipv4_networks())
def test_ranges_inside_private_space_are_never_public(cidr: IPv4Network) -> None:
    if any(cidr.subnet_of(block) for block in PRIVATE_V4):  # type: ignore[arg-type]
        assert not internet_wide(cidr) and not public_but_narrow(cidr)


@given(st.integers(min_value=0, max_value=8))
def test_every_half_quarter_and_eighth_of_the_internet_is_internet_wide(prefix: int) -> None:
    for block in IPv4Network("0.0.0.0/0").subnets(new_prefix=prefix):
        if not any(block.subnet_of(p) for p in NOT_ON_THE_INTERNET):  # type: ignore[arg-type]
            assert internet_wide(block), block


def test_examples_of_internet_wide_public_and_private_ranges() -> None:
    wide = ["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "64.0.0.0/8", "::/0", "2000::/3", "2001::/16"]
    narrow = ["52.94.0.0/22", "8.8.8.8/32", "2a00:1450::/32"]
    private = ["10.0.0.0/8", "10.99.0.0/16", "192.168.1.0/24", "fc00::/7", "::1/128", "2001:db8::/32"]
    assert all(internet_wide(ip_network(c)) for c in wide)
    assert all(public_but_narrow(ip_network(c)) and not internet_wide(ip_network(c)) for c in narrow)
    assert not any(internet_wide(ip_network(c)) or public_but_narrow(ip_network(c)) for c in private)
    assert isinstance(ip_network("2000::/3"), IPv6Network)


@given(st.lists(port_ranges(), min_size=1, max_size=6))
def test_port_coverage_is_the_size_of_the_union(ranges: list[tuple[int, int]]) -> None:
    covered = {port for first, last in ranges for port in range(max(first, 1), last + 1)}
    assert port_coverage([rule(first, last) for first, last in ranges], Protocol.TCP) == len(covered)


@given(st.integers(min_value=1, max_value=65534))
def test_two_rules_that_join_up_open_every_port(split: int) -> None:
    assert opens_nearly_every_port([rule(1, split), rule(split + 1, 65535)])
    assert opens_nearly_every_port([rule(1, 65535, Protocol.UDP)])


@given(port_ranges())
def test_icmp_has_no_ports(ports: tuple[int, int]) -> None:
    icmp = rule(*ports, protocol=Protocol.ICMP)
    assert not opens_nearly_every_port([icmp]) and not opens_port(icmp, 22)


def test_nearly_every_port_means_all_but_the_privileged_ports() -> None:
    assert opens_nearly_every_port([rule(1024, 65535)])
    assert not opens_nearly_every_port([rule(1026, 65535), rule(80, 80)])
    assert port_coverage([rule(1024, 65535)], Protocol.TCP) == NEARLY_ALL_PORTS
    assert opens_port(rule(0, 0, Protocol.ALL), 3389)
