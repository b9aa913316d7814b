"""What "open to the internet" and "every port" mean, decided once for every network rule.

* **Internet-wide** address ranges: IPv4 prefixes of /8 or broader that are not wholly private or reserved
  (``0.0.0.0/0``, ``0.0.0.0/1``, ``128.0.0.0/2``, ``64.0.0.0/8`` … but not ``10.0.0.0/8``), and IPv6 prefixes
  of /16 or broader that reach global unicast space ``2000::/3`` (``::/0``, ``2000::/3``, ``2001::/16``).
  Several rules whose ranges join up to such a range (``0.0.0.0/1`` + ``128.0.0.0/1``) are each already
  internet-wide by this definition.
* **Public** ranges: narrower ranges that still contain internet addresses (``52.94.0.0/22``, a ``/32``
  office address). Sensitive ports open to them are reported at a lower severity (NET-008), not ignored.
* **Every port**: the TCP or UDP ports a group opens to internet-wide ranges, joined over all its rules,
  cover at least ``NEARLY_ALL_PORTS`` of the 65,535 ports (so ``1024-65535`` counts: only the privileged
  ports are left). ``protocol: all`` opens every port. ICMP has no ports and never counts.

Pure functions over the model: no AWS, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from ipaddress import IPv4Network, IPv6Network

from infragate.model import SecurityGroup, SecurityRule
from infragate.model.network import Protocol

Cidr = IPv4Network | IPv6Network

BROADEST_IPV4_PUBLIC_PREFIX = 8
BROADEST_IPV6_PUBLIC_PREFIX = 16
GLOBAL_UNICAST_V6 = IPv6Network("2000::/3")
DOCUMENTATION_V6 = IPv6Network("2001:db8::/32")
PORT_COUNT = 65535
NEARLY_ALL_PORTS = 64512  # 1024-65535: all but the privileged ports

# Ports people expose by mistake, by engine. The design's own database components are judged by the
# ports of their engines too (see ``ENGINE_PORTS``).
DATABASE_PORTS: dict[int, str] = {
    1433: "SQL Server",
    1434: "SQL Server browser",
    1521: "Oracle listener",
    1522: "Oracle listener",
    1526: "Oracle listener",
    2483: "Oracle listener (TCP)",
    2484: "Oracle listener (TCPS)",
    3306: "MySQL/MariaDB",
    5432: "PostgreSQL",
    5439: "Redshift",
    5984: "CouchDB",
    6379: "Redis",
    6380: "Redis (TLS)",
    7000: "Cassandra inter-node",
    7001: "Cassandra inter-node (TLS)",
    7199: "Cassandra JMX",
    7474: "Neo4j HTTP",
    7687: "Neo4j Bolt",
    8086: "InfluxDB",
    8529: "ArangoDB",
    9042: "Cassandra CQL",
    9160: "Cassandra Thrift",
    9200: "Elasticsearch/OpenSearch HTTP",
    9300: "Elasticsearch/OpenSearch transport",
    11211: "Memcached",
    26257: "CockroachDB",
    27017: "MongoDB",
    27018: "MongoDB shard",
    27019: "MongoDB config server",
    28015: "RethinkDB",
    50000: "Db2",
}
ADMIN_PORTS: dict[int, str] = {22: "SSH", 3389: "RDP"}

# The port each RDS engine family listens on by default.
ENGINE_PORTS: dict[str, tuple[int, str]] = {
    "postgres": (5432, "PostgreSQL"),
    "aurora-postgresql": (5432, "PostgreSQL"),
    "mysql": (3306, "MySQL"),
    "mariadb": (3306, "MariaDB"),
    "aurora-mysql": (3306, "MySQL"),
    "oracle": (1521, "Oracle listener"),
    "sqlserver": (1433, "SQL Server"),
    "db2": (50000, "Db2"),
}


# IPv4 space that is not on the internet (RFC 6890): private, shared, loopback, link-local, documentation,
# benchmarking, multicast and reserved. ``ipaddress``'s own ``is_private`` is no help for broad ranges: it
# looks only at the first and last address, so it calls 0.0.0.0/1 (0.0.0.0 … 127.255.255.255) private.
NOT_INTERNET_V4 = tuple(
    IPv4Network(block)
    for block in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    )
)  # fmt: skip


def _reaches_internet(cidr: Cidr) -> bool:
    """True when the range contains at least one internet (globally routable) address."""
    if isinstance(cidr, IPv6Network):
        return cidr.overlaps(GLOBAL_UNICAST_V6) and not cidr.subnet_of(DOCUMENTATION_V6)
    return not any(cidr.subnet_of(block) for block in NOT_INTERNET_V4)


def internet_wide(cidr: Cidr | None) -> bool:
    if cidr is None or not _reaches_internet(cidr):
        return False
    broadest = BROADEST_IPV6_PUBLIC_PREFIX if isinstance(cidr, IPv6Network) else BROADEST_IPV4_PUBLIC_PREFIX
    return cidr.prefixlen <= broadest


def public_but_narrow(cidr: Cidr | None) -> bool:
    """A range with internet addresses in it that is narrower than internet-wide."""
    return cidr is not None and _reaches_internet(cidr) and not internet_wide(cidr)


def opens_port(rule: SecurityRule, port: int) -> bool:
    """True when the rule lets traffic in on ``port`` over TCP, UDP or every protocol (ICMP has no ports)."""
    if rule.protocol is Protocol.ICMP:
        return False
    return rule.protocol is Protocol.ALL or rule.ports.covers(port)


def port_coverage(rules: Iterable[SecurityRule], protocol: Protocol) -> int:
    """How many of the ports 1-65535 the rules open together for ``protocol`` (TCP or UDP)."""
    ranges: list[tuple[int, int]] = []
    for rule in rules:
        if rule.protocol is Protocol.ALL:
            return PORT_COUNT
        if rule.protocol is protocol:
            ranges.append((max(rule.ports.first, 1), rule.ports.last))
    covered, reached = 0, 0
    for first, last in sorted(ranges):
        first = max(first, reached + 1)
        if last >= first:
            covered += last - first + 1
            reached = last
    return covered


def opens_nearly_every_port(rules: Iterable[SecurityRule]) -> bool:
    items = list(rules)
    return any(port_coverage(items, protocol) >= NEARLY_ALL_PORTS for protocol in (Protocol.TCP, Protocol.UDP))


def exposed(group: SecurityGroup, ports: dict[int, str], reach: str = "internet") -> list[str]:
    """``"SSH (22) from 0.0.0.0/1"`` for every sensitive port the group opens to internet-wide ranges
    (``reach="internet"``) or to narrower public ranges (``reach="public"``)."""
    accepts = internet_wide if reach == "internet" else public_but_narrow
    return [
        f"{name} ({port}) from {rule.cidr}"
        for rule in group.ingress
        if accepts(rule.cidr)
        for port, name in ports.items()
        if opens_port(rule, port)
    ]
