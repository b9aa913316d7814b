"""The policy workflow: stages per environment, gates evaluated from evidence in the store, roles, the
pre-launch checklist, launch, and the compliance report.

Every decision is made here, in one service that the CLI (and later the web app) calls as a known user.
Imports provision, policy, design, store, model and errors.
"""
