"""CloudWatch metrics an alarm can watch, per kind of component, and the values each can take.

CloudWatch matches metric names exactly (``cpuutilization`` is a different, empty metric), so an alarm on a
misspelt name or with a threshold outside the metric's range never fires: it is not monitoring evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from infragate.model import Alarm, ComponentKind
from infragate.model.operations import Comparison


@dataclass(frozen=True)
class MetricRange:
    low: float = 0.0
    high: float | None = None  # None: unbounded


PERCENT = MetricRange(0.0, 100.0)
FLAG = MetricRange(0.0, 1.0)  # 0 or 1 (status checks)
AMOUNT = MetricRange()  # counts, bytes, seconds: never negative

NAMESPACES: dict[ComponentKind, str] = {
    ComponentKind.INSTANCE_GROUP: "AWS/EC2",
    ComponentKind.DATABASE: "AWS/RDS",
    ComponentKind.DISTRIBUTION: "AWS/CloudFront",
}

METRICS: dict[ComponentKind, dict[str, MetricRange]] = {
    ComponentKind.INSTANCE_GROUP: {
        "CPUUtilization": PERCENT,
        "StatusCheckFailed": FLAG,
        "StatusCheckFailed_Instance": FLAG,
        "StatusCheckFailed_System": FLAG,
        "StatusCheckFailed_AttachedEBS": FLAG,
        "CPUCreditUsage": AMOUNT,
        "CPUCreditBalance": AMOUNT,
        "CPUSurplusCreditBalance": AMOUNT,
        "CPUSurplusCreditsCharged": AMOUNT,
        "NetworkIn": AMOUNT,
        "NetworkOut": AMOUNT,
        "NetworkPacketsIn": AMOUNT,
        "NetworkPacketsOut": AMOUNT,
        "DiskReadOps": AMOUNT,
        "DiskWriteOps": AMOUNT,
        "DiskReadBytes": AMOUNT,
        "DiskWriteBytes": AMOUNT,
        "EBSReadOps": AMOUNT,
        "EBSWriteOps": AMOUNT,
        "EBSReadBytes": AMOUNT,
        "EBSWriteBytes": AMOUNT,
        "EBSIOBalance%": PERCENT,
        "EBSByteBalance%": PERCENT,
        "MetadataNoToken": AMOUNT,
    },
    ComponentKind.DATABASE: {
        "CPUUtilization": PERCENT,
        "FreeStorageSpace": AMOUNT,
        "FreeableMemory": AMOUNT,
        "DatabaseConnections": AMOUNT,
        "ReadIOPS": AMOUNT,
        "WriteIOPS": AMOUNT,
        "ReadLatency": AMOUNT,
        "WriteLatency": AMOUNT,
        "ReadThroughput": AMOUNT,
        "WriteThroughput": AMOUNT,
        "DiskQueueDepth": AMOUNT,
        "SwapUsage": AMOUNT,
        "ReplicaLag": AMOUNT,
        "BurstBalance": PERCENT,
        "CPUCreditUsage": AMOUNT,
        "CPUCreditBalance": AMOUNT,
        "NetworkReceiveThroughput": AMOUNT,
        "NetworkTransmitThroughput": AMOUNT,
        "BinLogDiskUsage": AMOUNT,
        "TransactionLogsDiskUsage": AMOUNT,
        "MaximumUsedTransactionIDs": AMOUNT,
        "OldestReplicationSlotLag": AMOUNT,
        "EBSIOBalance%": PERCENT,
        "EBSByteBalance%": PERCENT,
    },
    ComponentKind.DISTRIBUTION: {
        "Requests": AMOUNT,
        "BytesDownloaded": AMOUNT,
        "BytesUploaded": AMOUNT,
        "TotalErrorRate": PERCENT,
        "4xxErrorRate": PERCENT,
        "5xxErrorRate": PERCENT,
        "401ErrorRate": PERCENT,
        "403ErrorRate": PERCENT,
        "404ErrorRate": PERCENT,
        "502ErrorRate": PERCENT,
        "503ErrorRate": PERCENT,
        "504ErrorRate": PERCENT,
        "OriginLatency": AMOUNT,
        "CacheHitRate": PERCENT,
    },
}


def can_cross(comparison: Comparison, threshold: float, values: MetricRange) -> bool:
    """True when some value the metric can take breaches ``threshold``."""
    if comparison is Comparison.GT:
        return values.high is None or values.high > threshold
    if comparison is Comparison.GE:
        return values.high is None or values.high >= threshold
    if comparison is Comparison.LT:
        return values.low < threshold
    return values.low <= threshold


def alarm_problem(alarm: Alarm, kind: ComponentKind) -> str | None:
    """Why the alarm can never fire on a component of ``kind``, or None when it can."""
    known = METRICS.get(kind)
    if known is None:
        return None  # a kind without a catalog (none today): nothing to say
    values = known.get(alarm.metric)
    if values is None:
        near = next((name for name in known if name.lower() == alarm.metric.lower()), None)
        hint = f"; CloudWatch names are case-sensitive: did you mean {near}?" if near else ""
        return f"{NAMESPACES[kind]} has no metric {alarm.metric!r}{hint}"
    if not can_cross(alarm.comparison, alarm.threshold, values):
        bounds = f"{values.low:g}…{values.high:g}" if values.high is not None else f"≥ {values.low:g}"
        return f"{alarm.metric} {alarm.comparison.value} {alarm.threshold:g} can never be true ({bounds})"
    return None
