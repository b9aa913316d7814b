"""The infragate server (team mode): the REST API under /api/v1 and the web dashboard, on FastAPI.

It authenticates people (password sessions with CSRF tokens, or API tokens) and then calls the same
application layer as the CLI: every decision about who may do what is made there, never in a route.
"""
