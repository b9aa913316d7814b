"""Infrastructure tests (ICP-3.2): HTTP, TLS, DNS, exposure and the design's own test cases, run against the
environment's declared endpoints and addresses only. Pure of the store: the workflow records the results."""
