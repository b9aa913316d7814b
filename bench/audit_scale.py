"""Benchmark: `infragate audit` end to end on a populated embedded AWS account (target: under 3 s).

Populates a fresh embedded account with 100 EC2 instances (half with protected Elastic IPs), 20 S3
buckets, 5 RDS instances, a CloudFront distribution, a Route 53 zone and Shield protections, then times
the whole `infragate audit` process (start-up, inventory of every service, rules, report) several times.
Then grows the account to 1,000 instances and times it again, to show how the audit scales.
Prints the figures; asserts nothing about time.

    python bench/audit_scale.py [--repeat 3] [--large 1000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.support.account

from tests.support import account

from infragate.aws import AwsConnection, AwsTargetSpec, EmbeddedAws

REGION = "eu-west-1"


def populate(aws: AwsConnection, instances: int) -> list[str]:
    network = account.network(aws)
    web = account.security_group(aws, network.vpc, "web", (443,))
    ids = account.instances(aws, instances, network.public_subnet, (web,))
    protected = [account.elastic_ip(aws, instance) for instance in ids[: instances // 2]]
    for index in range(20):
        account.bucket(aws, f"bench-bucket-{index:02d}")
    for index in range(5):
        account.database(aws, f"bench-db-{index}")
    _, dist_arn, domain = account.distribution(aws, "bench-bucket-00")
    _, zone_arn = account.hosted_zone(aws, "bench.example.com", alias_to=domain)
    account.shield(aws, protect=(*protected, dist_arn, zone_arn))
    return ids


def grow(aws: AwsConnection, total: int) -> None:
    # A /20 subnet: a /24 runs out of addresses long before 1,000 instances.
    vpc = aws.call("ec2", "create_vpc", CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnet = aws.call("ec2", "create_subnet", VpcId=vpc, CidrBlock="10.30.16.0/20")["Subnet"]["SubnetId"]
    remaining = total - 100
    while remaining > 0:
        batch = min(remaining, 100)
        account.instances(aws, batch, subnet)
        remaining -= batch


def time_audit(home: Path, repeat: int) -> tuple[float, list[float], int]:
    env = {**os.environ, "INFRAGATE_HOME": str(home)}
    command = [sys.executable, "-m", "infragate", "audit", "--region", REGION, "--format", "json", "--fail-on", "none"]
    timings, checks = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        timings.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"audit failed ({result.returncode}): {result.stderr}")
        checks = result.stdout.count('"rule_id"')
    return statistics.median(timings), timings, checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", type=int, default=1000, help="instances for the growth figure (0: skip)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="infragate-bench-") as directory:
        home = Path(directory)
        daemon = EmbeddedAws(home)
        try:
            aws = AwsConnection(AwsTargetSpec(region=REGION, endpoint_url=daemon.ensure()))
            started = time.perf_counter()
            populate(aws, 100)
            print(
                f"populated 100 instances, 20 buckets, 5 RDS, 1 distribution, 1 zone in "
                f"{time.perf_counter() - started:.1f} s"
            )
            median, timings, checks = time_audit(home, args.repeat)
            runs = ", ".join(f"{t:.2f}" for t in timings)
            print(f"audit, 100 instances:   median {median:.2f} s  (runs: {runs}; {checks} checks; target < 3 s)")
            if args.large > 100:
                grow(aws, args.large)
                median, timings, checks = time_audit(home, args.repeat)
                runs = ", ".join(f"{t:.2f}" for t in timings)
                print(f"audit, {args.large} instances: median {median:.2f} s  (runs: {runs}; {checks} checks)")
        finally:
            daemon.stop()


if __name__ == "__main__":
    main()
