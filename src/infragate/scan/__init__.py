"""OWASP security scans of an environment's declared endpoints (ICP-4.1): the engines (infragate's own checks,
wapiti in a tool environment of its own, Detectify, ZAP), the scope proxy every engine's traffic goes
through, and one findings model (OWASP Top 10 2021, CWE, severity, confidence, fingerprint) with its reports.
Imports ``infratest`` (scope, transport, TLS checks), ``model``, ``settings`` and ``errors``."""
