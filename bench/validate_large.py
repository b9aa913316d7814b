"""Benchmark: validate a generated design with 1,000 components (target: under 1 s on this machine).

Generates a design with instance groups, databases, buckets, distributions, zones, alarms and backup
plans (1,000 components in all, two environments), then times loading plus the full rule pack, the same
work `infragate design validate` does. Prints the figures; asserts nothing about time.

    python bench/validate_large.py [--components 1000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from infragate.design import parse_design
from infragate.policy import Status, check_design


def generate(components: int) -> str:
    groups = components * 3 // 10
    databases = components // 10
    buckets = components // 10
    distributions = components // 20
    zones = components // 20
    plans = components // 20
    alarms = components - groups - databases - buckets - distributions - zones - plans
    data: dict[str, Any] = {
        "project": {
            "name": "bench",
            "client": "Bench",
            "owners": {"lead": "l", "infra": "i", "developer": "d", "security": "s"},
        },
        "environments": {
            "staging": {"overrides": {"compute": {"app-0": {"count": 1}}}},
            "production": {"requires_approval": True, "endpoints": ["https://www.zone-0.example.com"]},
        },
        "network": {
            "vpc_cidr": "10.0.0.0/16",
            "availability_zones": ["az-a", "az-b"],
            "subnets": {
                "pub-a": {"tier": "public", "cidr": "10.0.0.0/24", "availability_zone": "az-a"},
                "pub-b": {"tier": "public", "cidr": "10.0.1.0/24", "availability_zone": "az-b"},
                "priv-a": {"tier": "private", "cidr": "10.0.2.0/24", "availability_zone": "az-a"},
                "priv-b": {"tier": "private", "cidr": "10.0.3.0/24", "availability_zone": "az-b"},
            },
            "security_groups": {"web": {"ingress": [{"ports": 443, "cidr": "0.0.0.0/0", "description": "https"}]}},
        },
        "compute": {
            f"app-{i}": {
                "role": "web",
                "count": 2,
                "instance_type": "t3.small",
                "ami": "ami-0123456789abcdef0",
                "subnet_tier": "public",
                "elastic_ip": True,
                "security_groups": ["web"],
            }
            for i in range(groups)
        },
        "databases": {
            f"db-{i}": {
                "engine": "postgres",
                "engine_version": "16.4",
                "instance_class": "db.m6g.large",
                "multi_az": True,
                "deletion_protection": True,
            }
            for i in range(databases)
        },
        "buckets": {
            f"bucket-{i}": {"versioning": True, "served_via_cloudfront": i < distributions} for i in range(buckets)
        },
        "distributions": {
            f"cdn-{i}": {
                "origins": [{"bucket": f"bucket-{i}"}],
                "waf_web_acl": "acl",
                "logging_bucket": "bucket-0",
                "aliases": [f"www.zone-{i}.example.com"],
            }
            for i in range(distributions)
        },
        "dns": {
            f"zone-{i}.example.com": {"records": [{"name": "www", "alias_distribution": f"cdn-{i % distributions}"}]}
            for i in range(zones)
        },
        "monitoring": {
            "notify": ["ops@example.com"],
            "alarms": {
                f"alarm-{i}": {"component": f"app-{i % groups}", "metric": "CPUUtilization", "threshold": 80}
                for i in range(alarms)
            },
        },
        "backup": {
            "plans": {
                f"plan-{i}": {"retention_days": 14, "components": [f"app-{i}", f"db-{i % databases}"]}
                for i in range(plans)
            }
        },
        "targets": {"peak_rps": 100, "p95_ms": 300, "p99_ms": 800, "max_error_rate": 0.01},
    }
    return yaml.safe_dump(data, sort_keys=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = generate(args.components)
    timings, load_timings = [], []
    findings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        design = parse_design(text, "bench.yaml")
        loaded = time.perf_counter()
        findings = check_design(design)
        finished = time.perf_counter()
        load_timings.append(loaded - started)
        timings.append(finished - started)
    failing = sum(1 for item in findings if item.finding.status is not Status.PASS)
    print(f"design: {args.components} components, {len(text.splitlines())} YAML lines, 2 environments")
    print(f"findings per run: {len(findings)} ({failing} not passing)")
    print(f"load (parse + validate + references): median {statistics.median(load_timings) * 1000:.0f} ms")
    print(
        f"load + all rules, end to end:         median {statistics.median(timings) * 1000:.0f} ms, "
        f"best {min(timings) * 1000:.0f} ms over {args.repeat} runs (target: < 1000 ms)"
    )

    with tempfile.TemporaryDirectory() as folder:
        design_file = Path(folder) / "bench.yaml"
        design_file.write_text(text)
        command = [
            sys.executable,
            "-m",
            "infragate",
            "design",
            "validate",
            str(design_file),
            "-f",
            "json",
            "-o",
            str(Path(folder) / "report.json"),
            "--fail-on",
            "none",
        ]
        cli_timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            cli_timings.append(time.perf_counter() - started)
    print(
        f"`infragate design validate` as a process (start-up + JSON report): median "
        f"{statistics.median(cli_timings) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
