"""The command line (Typer + Rich). Thin: parse arguments, call a service, render the result.

Exit codes are decided in exactly one place, ``exit_codes.py``.
"""
