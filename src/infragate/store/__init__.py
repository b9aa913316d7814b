"""The store: evidence the workflow decides on (SQLAlchemy 2 models, Alembic migrations, repositories).

SQLite under ``$INFRAGATE_HOME`` by default, PostgreSQL via ``INFRAGATE_DATABASE_URL``; migrations run on
first use. Imports ``settings`` and ``errors`` only.
"""

from infragate.store import audit_log
from infragate.store.database import Store, database_url, open_store

__all__ = ["Store", "audit_log", "database_url", "open_store"]
