"""The stress report's CloudWatch CPU: the environment's own servers and databases over the test window, read
through the ec2 and rds collectors from (embedded) AWS; another project's server never shows, and a resource
without datapoints says so instead of showing 0%."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from infragate.aws import AwsConnection
from infragate.aws.embedded import EmbeddedAws
from infragate.design import load_design
from infragate.settings import load_settings
from infragate.stress.report import cpu_section
from infragate.stress.results import CloudWatchCpu, StressResults
from infragate.workflow.stress_cpu import cpu_during_test
from tests.conftest import WEBSHOP
from tests.support import account


def _cpu(aws: AwsConnection, namespace: str, dimension: str, resource: str, values: list[tuple[float, float]]) -> None:
    aws.call(
        "cloudwatch",
        "put_metric_data",
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": "CPUUtilization",
                "Dimensions": [{"Name": dimension, "Value": resource}],
                "Timestamp": datetime.fromtimestamp(at, UTC),
                "Value": value,
                "Unit": "Percent",
            }
            for at, value in values
        ],
    )


def test_the_cpu_of_the_environments_servers_and_databases_over_the_test(
    aws: AwsConnection, embedded: EmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INFRAGATE_HOME", str(embedded.home))  # where the running emulator is recorded
    ours = account.network(aws, account.project_tags("webshop", "staging", "network"))
    busy, idle = account.instances(aws, 2, ours.public_subnet, tags=account.project_tags("webshop", "staging", "web"))
    (other,) = account.instances(aws, 1, ours.public_subnet, tags=account.project_tags("crm", "staging", "web"))
    account.database(aws, "webshop-staging-orders", account.project_tags("webshop", "staging", "orders"))
    started = time.time() - 600
    _cpu(aws, "AWS/EC2", "InstanceId", busy, [(started + 30, 40.0), (started + 150, 80.0)])
    _cpu(aws, "AWS/EC2", "InstanceId", other, [(started + 30, 99.0)])
    _cpu(aws, "AWS/RDS", "DBInstanceIdentifier", "webshop-staging-orders", [(started + 90, 95.0)])
    _cpu(aws, "AWS/EC2", "InstanceId", busy, [(started - 3600, 100.0)])  # an hour before: outside the window

    cloudwatch = cpu_during_test(
        load_settings(), load_design(WEBSHOP), "staging", StressResults(started_at=started, duration_s=240.0)
    )

    assert cloudwatch.status == "read"
    series = {s.resource: s for s in cloudwatch.series}
    assert set(series) == {busy, idle, "webshop-staging-orders"}  # not the other project's server
    assert (series[busy].component, series[busy].kind) == ("web", "instance group")
    assert (series[busy].peak, series[busy].mean) == (80.0, 60.0)
    assert series[idle].points == [] and series[idle].peak is None  # no datapoints is not 0%
    assert series["webshop-staging-orders"].kind == "database"
    assert series["webshop-staging-orders"].peak == 95.0
    page = cpu_section(cloudwatch)
    assert busy in page and "80.0%" in page and "<svg" in page


def test_with_embedded_aws_stopped_there_is_nothing_to_watch_and_it_says_so() -> None:
    cloudwatch = cpu_during_test(
        load_settings(), load_design(WEBSHOP), "staging", StressResults(started_at=time.time())
    )
    assert cloudwatch == CloudWatchCpu(
        status="not applicable", reason="embedded AWS is not running, so nothing is applied to watch"
    )
    assert "Not applicable: embedded AWS is not running" in cpu_section(cloudwatch)
