"""The application layer: every use-case of the policy, and the only place a policy decision is made.

Each use-case is a **command** (a frozen pydantic model, ``messages.Command[Result]``) with one **handler**
(``@bus.handles(TheCommand)``). A handler gets the command, the **caller** (``context.Caller``: who asks,
through which front end) and a **unit of work** (``context.UnitOfWork``: the store, the settings, the
front end's ports for progress and confirmation, the job queue, the notifier). It authorises, takes the
environment's lock where it changes AWS, does the work, records the run (``ProjectWork.record``, the one
place evidence is written, with the design digest it was made from) and the audit-log entry, and notifies.
A ``Query`` only reads: evaluating gates writes nothing; after the outermost command that changed evidence,
the bus settles the stage with a command of its own (``RefreshStage``).

Every front end calls ``bus.handle(command, caller, uow)`` and renders the typed result: the CLI (through
``cli.client``: in process, or through the API, decoded into the same result types), the API routes (made
from each command's ``http`` declaration by ``web.routes``), the dashboard, the job runner (a
``{kind: handler}`` table read from the stage registry) and the ``run`` pipeline (a sequence of commands).

Where things go:

- **A new use-case**: a command, its result and its handler in the module of its domain (``triage.py``,
  ``pentests.py``, …); add the module to ``catalogue.MODULES`` if it is a new one. Give the command
  ``http = Http(...)`` and it has an API route and works in team mode with no other change.
- **A new stage**: a module in ``stages/`` declaring its ``StageSpec`` (gate criteria over ``Evidence``, the
  run summaries it records, its job kinds and their handlers, its checklist items and judges), listed in
  ``stages.BUILT_IN``. Gates, jobs, the API and the dashboard read the registry; ``stages.temporary()`` adds
  a toy one in tests.
- **A new API route**: the command's ``http`` declaration; only a route that cannot be a command (a rate
  limit, a file download, an event stream) is written by hand in ``web/api.py``.
- **A new CLI command**: a module in ``cli/`` that builds the command, runs it with ``client.execute`` and
  renders the result; one line in ``cli/commands.py``. It never decides anything and never reads the store.
"""
