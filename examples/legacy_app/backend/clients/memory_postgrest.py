"""In-process stand-in for the Supabase/PostgREST table API (used when SUPABASE_URL is memory://)."""

import copy
import itertools
from typing import Any


class QueryResult:
    def __init__(self, data: list[dict[str, Any]]):
        self.data = data


class TableQuery:
    def __init__(self, store: "InMemoryPostgrest", table: str):
        self._store = store
        self._table = table
        self._filters: list[tuple[str, Any]] = []
        self._op = "select"
        self._payload: dict[str, Any] = {}

    def select(self, _columns: str = "*") -> "TableQuery":
        self._op = "select"
        return self

    def insert(self, row: dict[str, Any]) -> "TableQuery":
        self._op = "insert"
        self._payload = row
        return self

    def update(self, values: dict[str, Any]) -> "TableQuery":
        self._op = "update"
        self._payload = values
        return self

    def delete(self) -> "TableQuery":
        self._op = "delete"
        return self

    def eq(self, column: str, value: Any) -> "TableQuery":
        self._filters.append((column, value))
        return self

    def execute(self) -> QueryResult:
        return self._store.run(self._table, self._op, self._filters, self._payload)


class InMemoryPostgrest:
    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    def table(self, name: str) -> TableQuery:
        return TableQuery(self, name)

    def run(self, table, op, filters, payload) -> QueryResult:
        rows = self.tables.setdefault(table, [])
        matching = [r for r in rows if all(r.get(c) == v for c, v in filters)]
        if op == "insert":
            row = {"id": next(self._ids), **payload}
            rows.append(row)
            return QueryResult([copy.deepcopy(row)])
        if op == "update":
            for row in matching:
                row.update(payload)
        elif op == "delete":
            self.tables[table] = [r for r in rows if r not in matching]
        return QueryResult(copy.deepcopy(matching))
