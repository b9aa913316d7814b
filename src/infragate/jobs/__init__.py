"""Jobs: long use-cases (verify, audit, drift, apply) run in-process or by workers, and schedules.

A job's record lives in the store (state, who asked, parameters, progress and log lines, result) whichever
queue carries it: Huey's SQLite queue under ``$INFRAGATE_HOME`` by default, Redis with
``INFRAGATE_QUEUE_URL=redis://…`` when workers on several machines share the work. ``infragate worker``
consumes the queue and fires schedules. Imports workflow and everything below it; only the CLI imports it.
"""
