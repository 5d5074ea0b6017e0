"""Services the DI tests register: module level, so annotations resolve by name."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Annotated, Protocol


class Settings:
    def __init__(self, dsn: str = "sqlite://") -> None:
        self.dsn = dsn


class Database:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


class Session:
    def __init__(self, db: Database) -> None:
        self.db = db


class Request:
    def __init__(self, path: str = "/") -> None:
        self.path = path


class UserContext:
    def __init__(self, user_id: str) -> None:
        self.user_id = user_id


class Repo:
    def __init__(self, session: Session, request: Request) -> None:
        self.session = session
        self.request = request


class Cache(Protocol):
    def get(self, key: str) -> str | None: ...


class HealthCheckable(Protocol):
    def healthy(self) -> bool: ...


class MemoryCache:
    def __init__(self) -> None:
        self.data: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.data.get(key)

    def healthy(self) -> bool:
        return True


class Mailer:
    def __init__(self, session: Session) -> None:
        self.session = session


class Handler:
    def __init__(self, repo: Repo, cache: Cache) -> None:
        self.repo = repo
        self.cache = cache


class Replica(Database):
    pass


ReplicaDb = Annotated[Database, "replica"]


class UsesReplica:
    def __init__(self, primary: Database, replica: ReplicaDb) -> None:
        self.primary = primary
        self.replica = replica


def make_database(settings: Settings) -> Database:
    return Database(settings)


async def amake_database(settings: Settings) -> Database:
    return Database(settings)


class Log:
    """Collects what providers and finalizers did, in order."""

    def __init__(self) -> None:
        self.events: list[str] = []


def session_from_generator(db: Database, log: Log) -> Iterator[Session]:
    log.events.append("open session")
    try:
        yield Session(db)
    except ValueError:
        log.events.append("rollback session")
        raise
    log.events.append("close session")


async def session_from_async_generator(db: Database, log: Log) -> AsyncIterator[Session]:
    log.events.append("open async session")
    yield Session(db)
    log.events.append("close async session")


@contextmanager
def session_from_context_manager(db: Database, log: Log) -> Iterator[Session]:
    log.events.append("enter session")
    yield Session(db)
    log.events.append("exit session")


@asynccontextmanager
async def session_from_async_context_manager(db: Database, log: Log) -> AsyncIterator[Session]:
    log.events.append("aenter session")
    yield Session(db)
    log.events.append("aexit session")
