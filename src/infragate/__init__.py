"""infragate: makes the organization's Infrastructure Creation Policy real.

Each project is carried through the policy's stages (design, provisioning, deployment-testing,
security-compliance, pre-launch, launched); at every stage infragate does the work with real tools,
keeps the evidence, and allows launch only when the policy is met.
"""

__version__ = "0.1.0"
