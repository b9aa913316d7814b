"""Workloads: the application an embedded environment serves on 127.0.0.1 (the design's ``workload:``), with
TLS from a local certificate authority only that environment trusts, so tests, stress tests and scans have
something real to reach without leaving the machine."""
