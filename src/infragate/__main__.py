"""``python -m infragate`` runs the CLI."""

from infragate.cli.main import run

run()
