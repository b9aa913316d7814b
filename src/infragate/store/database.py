"""Opening the store: SQLite under ``$INFRAGATE_HOME`` by default, PostgreSQL via ``INFRAGATE_DATABASE_URL``.

Migrations run automatically the first time a store is opened (and by ``infragate db upgrade``), so a new
checkout or a new team database needs no set-up step.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from infragate.errors import StoreError
from infragate.settings import Settings
from infragate.store import audit_log
from infragate.store.checkpoints import Signer

if TYPE_CHECKING:  # for annotations only: Alembic is slow to import, and only a migration needs it
    import sqlite3

    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(settings: Settings) -> str:
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{(settings.home / 'infragate.db').resolve()}"


def _alembic(connection: sa.Connection) -> Config:
    from alembic.config import Config  # Alembic is imported only when migrating: it is slow to import

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _redacted(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


class Store:
    """One database: sessions for repositories, and its schema version."""

    def __init__(self, url: str, signer: Signer | None = None) -> None:
        self.url = url
        self.signer = signer  # signs the audit log's head on every append (store.checkpoints)
        if url.startswith("sqlite:///"):
            database = Path(url.removeprefix("sqlite:///"))
            folder = database.parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if not database.exists():  # the store holds every approval and finding: its owner's alone
                    os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except OSError as exc:
                raise StoreError(
                    f"cannot create the folder for the SQLite store {folder} ({exc.strerror})",
                    hint="Point INFRAGATE_DATABASE_URL (or INFRAGATE_HOME) at a writable folder.",
                ) from None
        try:
            sqlite = url.startswith("sqlite")
            self.engine = sa.create_engine(url, future=True, connect_args={"timeout": 60} if sqlite else {})
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StoreError(
                f"INFRAGATE_DATABASE_URL is not a usable database URL ({exc})",
                hint="Use sqlite:///path/to/file.db or postgresql+psycopg://user@host:5432/dbname.",
            ) from None
        if self.engine.dialect.name == "sqlite":
            _serialise_sqlite_writers(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def revision(self) -> str | None:
        """The schema's migration, read from Alembic's own table (without importing Alembic: it is slow)."""
        with self._connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()

    def head(self) -> str | None:
        """The newest migration, read from the migration files' names (no Alembic import needed)."""
        versions = sorted(p.name.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("[0-9]*_*.py"))
        return versions[-1] if versions else None

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (a no-op when it is already there)."""
        from alembic import command

        with self._connect() as connection, connection.begin():
            command.upgrade(_alembic(connection), "head")

    def ensure_current(self) -> None:
        if self.revision() != self.head():
            self.upgrade()

    @contextmanager
    def _connect(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.connect() as connection:
                yield connection
        except OperationalError as exc:
            raise StoreError(
                f"cannot reach the database {_redacted(self.url)} ({' '.join(str(exc.orig).split())})",
                hint="Check INFRAGATE_DATABASE_URL and that the server is running.",
            ) from None
        except DatabaseError as exc:  # e.g. SQLite on a file that is not a database
            raise StoreError(
                f"{_redacted(self.url)} is not a usable infragate database ({' '.join(str(exc.orig).split())})",
                hint="Point INFRAGATE_DATABASE_URL at a new file or at the infragate database, not another file.",
            ) from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends normally, rolled back when it raises."""
        with self._sessions() as session, session.begin():
            if self.signer is not None:
                session.info[audit_log.SIGNER] = self.signer
            yield session


def _serialise_sqlite_writers(engine: sa.Engine) -> None:
    """Begin every SQLite transaction with BEGIN IMMEDIATE (SQLAlchemy's documented pysqlite recipe).

    pysqlite defers the write lock to the first write, so two processes could both read the audit log's last
    hash and then append after it, forking the chain. Taking the lock at BEGIN serialises writers; others
    wait up to the connection timeout."""

    @sa.event.listens_for(engine, "connect")
    def _no_implicit_transactions(dbapi_connection: sqlite3.Connection, _: object) -> None:
        dbapi_connection.isolation_level = None

    @sa.event.listens_for(engine, "begin")
    def _begin_immediate(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def open_store(settings: Settings) -> Store:
    store = Store(database_url(settings), signer=Signer(settings.audit_key_file))
    store.ensure_current()
    return store
