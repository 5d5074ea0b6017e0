"""RS502: a DB session or connection opened without a guaranteed close."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs4_hazard_names import ChainResolver, hazard_modules
from rescope.audit.rules._rs4_hazard_scan import collect_hazards

__all__ = ["DbSessionLeak"]

_SESSION_FACTORIES = (
    "sqlalchemy.orm.sessionmaker()",
    "sqlalchemy.orm.scoped_session()",
    "sqlalchemy.ext.asyncio.async_sessionmaker()",
    "sqlalchemy.orm.Session",
    "sqlalchemy.orm.session.Session",
    "sqlalchemy.ext.asyncio.AsyncSession",
)
_ENGINES = (
    "sqlalchemy.create_engine()",
    "sqlalchemy.engine.create_engine()",
    "sqlalchemy.ext.asyncio.create_async_engine()",
)
_CONNECTS = frozenset(
    {
        "sqlite3.connect",
        "psycopg.connect",
        "psycopg2.connect",
        "pymysql.connect",
        "MySQLdb.connect",
        "asyncpg.connect",
        "aiosqlite.connect",
    }
)
_DB_WORDS = ("db", "database", "session", "conn")


def _opens_db(qualified: str) -> bool:
    if qualified.startswith("next(") and qualified.endswith("())"):
        # next(get_db()): a generator dependency that yields a session
        inner = qualified[5:-3].rpartition(".")[2].lower()
        return any(word in inner for word in _DB_WORDS)
    if qualified in _SESSION_FACTORIES or qualified in _CONNECTS:
        return True
    receiver, _, last = qualified.rpartition(".")
    if last in {"connect", "raw_connection", "begin"}:
        return receiver in _ENGINES or receiver.rpartition(".")[2] in {"engine", "_engine"}
    return False


class DbSessionLeak(Rule):
    """A DB session or connection opened without ``with`` or a ``close()`` in ``finally``.

    What it does:
        Finds ``db = SessionLocal()`` (any ``sessionmaker``), ``Session(engine)``,
        ``sessionmaker()()``, ``engine.connect()``, ``sqlite3.connect()``/``psycopg.connect()``
        and ``next(get_db())`` bound to a local that is neither used as a context manager,
        closed in a ``finally`` block, nor returned to the caller.

    Why is this bad?
        An exception before the close (or no close at all) keeps the connection checked out
        of the pool. Under load the pool runs dry and every request waits for
        ``QueuePool limit ... overflow`` timeouts; with SQLite the file stays locked.
        ``next(get_db())`` skips the generator's ``finally``, so it never closes.

    Example:
        def record(self, user_id, action):
            db = SessionLocal()
            db.add(AuditLogEntry(user_id=user_id, action=action))
            db.commit()

    Use instead:
        def record(self, user_id, action):
            with SessionLocal() as db, db.begin():
                db.add(AuditLogEntry(user_id=user_id, action=action))
    """

    code = "RS502"
    name = "db-session-leak"
    severity = Severity.HIGH
    message = "`{call}` in `{function}` opens a DB session that is not closed on every path"
    fix_title = (
        "Open it with `with` (or close it in `finally`), or inject a request-scoped session "
        "(rescope.resources' SQLAlchemy sessions)"
    )
    collect = collect_hazards
    VALID: ClassVar[list[Example]] = [
        {
            "app/db.py": "from sqlalchemy.orm import sessionmaker\n\n"
            "SessionLocal = sessionmaker()\n\ndef get_db():\n    db = SessionLocal()\n"
            "    try:\n        yield db\n    finally:\n        db.close()\n",
            "app/repo.py": "from app.db import SessionLocal, get_db\n\ndef count():\n"
            "    with SessionLocal() as db:\n        return db.scalar('select 1')\n\n"
            "def other():\n    with next(get_db()) as db:\n        db.commit()\n",
        },
        (
            "from sqlalchemy import create_engine\n\nengine = create_engine('sqlite://')\n\n"
            "def ping():\n    with engine.connect() as conn:\n"
            "        conn.exec_driver_sql('select 1')\n"
        ),
        (
            "import requests\n\ndef client():\n    session = requests.Session()\n"
            "    session.get('https://example.com')\n"
        ),
        (
            "from sqlalchemy.orm import Session\n\ndef make_session(engine):\n"
            "    session = Session(engine)\n    return session\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        {
            "app/db.py": (
                "from sqlalchemy.orm import sessionmaker\n\nSessionLocal = sessionmaker()\n"
            ),
            "app/audit.py": "from app.db import SessionLocal\n\ndef record(entry):\n"
            "    db = SessionLocal()\n    db.add(entry)\n    db.commit()\n    db.close()\n",
        },
        {
            "app/db.py": "from sqlalchemy.orm import sessionmaker\n\n"
            "SessionLocal = sessionmaker()\n\n"
            "def get_db():\n    db = SessionLocal()\n    try:\n        yield db\n"
            "    finally:\n        db.close()\n",
            "app/usage.py": "from app.db import get_db\n\ndef used(user):\n"
            "    db = next(get_db())\n    return db.scalar(user)\n",
        },
        (
            "import sqlite3\n\ndef read(path):\n    conn = sqlite3.connect(path)\n"
            "    return conn.execute('select 1').fetchall()\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per DB session or connection without a guaranteed close."""
        resolver = ChainResolver(ctx)
        for facts, hazards in hazard_modules(ctx, self.code):
            for res in hazards.resources:
                if res.kind != "db":
                    continue
                if res.name.startswith("next("):
                    inner = resolver.resolve(facts, res.name[5:-3])
                    qualified = f"next({inner}())"
                else:
                    qualified = resolver.resolve(facts, res.name)
                if not _opens_db(qualified):
                    continue
                call = res.name if res.name.startswith("next(") else f"{res.name}()"
                yield self.finding(
                    facts.path,
                    res.line,
                    f"{res.function}:{res.name}",
                    call=call,
                    function=res.function,
                )
