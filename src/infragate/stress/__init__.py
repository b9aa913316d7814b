"""Stress tests (ICP-3.3): a Locust run, as a subprocess, of the environment's scenario against its declared
endpoints only, with every response time recorded in an HdrHistogram (exact percentiles), and the verdicts
the policy asks for: at the design's peak load, are p95, p99 and the error rate within its targets?"""
