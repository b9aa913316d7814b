"""The store itself, for the host that holds it: which database, whether its schema is current, and
migrating it. Not project use-cases: whoever can open the database is the host."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from infragate.settings import Settings


class StoreState(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str  # without its password
    revision: str | None  # None: an empty database
    head: str | None  # the newest migration

    @property
    def current(self) -> bool:
        return self.revision == self.head


def store_state(settings: Settings) -> StoreState:
    """The store's schema version, read without migrating it."""
    from infragate.store import Store, database_url  # SQLAlchemy: only for the commands that use the store

    store = Store(database_url(settings))
    return StoreState(
        url=store.engine.url.render_as_string(hide_password=True), revision=store.revision(), head=store.head()
    )


def upgrade_store(settings: Settings) -> tuple[StoreState, StoreState]:
    """Create or migrate the schema to the newest version: the state before and after."""
    from infragate.store import Store, database_url

    before = store_state(settings)
    Store(database_url(settings)).upgrade()
    return before, store_state(settings)
