"""The shape of every use-case: a typed command in, a typed result out.

A command is a frozen pydantic model naming what to do and to what (``project``, ``environment``, …); its
result type is its generic parameter (``class ApproveDesign(Command[Outcome])``). A command that the server
answers declares its HTTP binding (``http = Http("POST", "/projects/{project}/…")``): the web layer makes the
API route from it and the CLI's HTTP client calls that route, so both sides share one declaration and one
pair of models. A command without a binding runs only where the store and AWS are (local mode, the workers).

Handlers are plain functions ``handler(command, caller, uow) -> result`` attached with ``@handles`` (see
``bus``); queries are commands that never write.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, ClassVar, Generic, NamedTuple, TypeAlias, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, RootModel

if TYPE_CHECKING:
    from infragate.workflow.context import Caller, UnitOfWork


class Result(BaseModel):
    """What a handler returns: typed, frozen, and the same model on both sides of the API."""

    model_config = ConfigDict(frozen=True)


# A stored row's id, as the API and the CLI take it: a positive 64-bit integer (SQLite's and PostgreSQL's
# BIGINT), so an id no row can have is refused as input (422, exit 2), never sent to the database.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1, description="A stored id (a positive 64-bit integer).")]
# Where a page starts, and how long it is: what any caller may ask for (the API's answers stay small).
Offset = Annotated[int, Field(ge=0, le=2**63 - 1, description="How many items to skip.")]
PageSize = Annotated[int, Field(ge=1, le=200, description="How many items at most (up to 200).")]
R = TypeVar("R", bound=BaseModel, covariant=True)  # a Result, or a RootModel for a list the API answers as a list


class Http(NamedTuple):
    """Where the API serves a command: ``method`` and ``path`` (fields in braces come from the path; the other
    fields are the JSON body, or the query for GET)."""

    method: str
    path: str
    status: int = 200
    tag: str = ""
    custom: bool = False  # the web layer serves it with a route of its own (a rate limit, a file, a stream)
    raw: str = ""  # a field sent as the request's body itself (a PDF, a CSV); the others go in the query
    max_body: int = 1 << 20  # the largest body the route takes

    def path_fields(self) -> tuple[str, ...]:
        return tuple(re.findall(r"{(\w+)}", self.path))


class Command(BaseModel, Generic[R]):
    """A use-case to run, as data. ``handler`` is attached by ``bus.handles``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    http: ClassVar[Http | None] = None
    handler: ClassVar[Callable[..., BaseModel] | None] = None
    writes: ClassVar[bool] = True  # False for queries: the bus then refuses any event they raise

    @classmethod
    def result_type(cls) -> type[BaseModel]:
        """The ``R`` of ``Command[R]`` this command was declared with."""
        for klass in cls.__mro__:
            meta = cast(dict[str, object], getattr(klass, "__pydantic_generic_metadata__", {}))
            origin, args = meta.get("origin"), cast(tuple[object, ...], meta.get("args") or ())
            if isinstance(origin, type) and issubclass(origin, Command) and args and isinstance(args[0], type):
                return cast(type[BaseModel], args[0])
        raise TypeError(f"{cls.__name__} does not say its result type (subclass Command[SomeResult])")


class Query(Command[R]):
    """A command that only reads: evaluating gates, listing findings. It never writes and never notifies."""

    writes: ClassVar[bool] = False


AnyCommand: TypeAlias = "Command[BaseModel]"  # any command: every result is a model
C = TypeVar("C", bound=AnyCommand)
Handler = Callable[[C, "Caller", "UnitOfWork"], R]


class FileOut(Result):
    """A file a use-case hands back (a report, a scope document): served as itself, not as JSON."""

    name: str
    media_type: str
    data: bytes


class Outcome(Result):
    """A decision's result in a word or two ("approved", "signed", …), as the API has always answered."""

    result: str


T = TypeVar("T")


class Items(RootModel[list[T]], Generic[T]):
    """A list as a result (the API answers with the list itself)."""

    model_config = ConfigDict(frozen=True)

    def __iter__(self) -> Iterator[T]:  # type: ignore[override]  # iterate the items, like the list
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)


class Page(Result, Generic[T]):
    """One page of a longer list: its items, how many there are in all, and where this page starts."""

    items: list[T]
    total: int
    offset: int
    limit: int
