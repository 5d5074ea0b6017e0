"""The inventory's suggested scope: per-user state only, not process-wide registries."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescope.audit import AuditConfig, Scope, Service, run_audit
from tests.audit._helpers import write_tree

_GETTER = (
    "\n_instance = None\n\ndef get_instance():\n    global _instance\n"
    "    if _instance is None:\n        _instance = {cls}()\n    return _instance\n"
)


def _service(tmp_path: Path, cls: str, body: str) -> Service:
    """Audit one class reached through a lazy getter and return its inventory entry."""
    write_tree(tmp_path, f"class {cls}:\n{body}" + _GETTER.format(cls=cls))
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    (service,) = result.services
    assert service.name == cls
    return service


REGISTRIES = [
    pytest.param(
        "CollectorRegistry",
        "    def __init__(self):\n        self._by_name = {}\n\n"
        "    def register(self, collector):\n        self._by_name[collector.name] = collector\n",
        "self._by_name",
        id="collectors",
    ),
    pytest.param(
        "TypeState",
        "    def __init__(self):\n        self._subtype_caches = {}\n\n"
        "    def record_subtype(self, left, right):\n"
        "        self._subtype_caches[left] = right\n",
        "self._subtype_caches",
        id="type-cache",
    ),
    pytest.param(
        "AdapterRegistry",
        "    def __init__(self):\n        self._adapters = {}\n\n"
        "    def add(self, tp, adapter):\n        self._adapters[tp] = adapter\n\n"
        "    def remove(self, tp):\n        self._adapters.pop(tp)\n",
        "self._adapters",
        id="adapters",
    ),
    pytest.param(
        "Console",
        "    def __init__(self):\n        self._render_hooks = []\n\n"
        "    def push_render_hook(self, hook):\n        self._render_hooks.append(hook)\n\n"
        "    def pop_render_hook(self):\n        self._render_hooks.pop()\n",
        "self._render_hooks",
        id="hook-stack",
    ),
]


@pytest.mark.parametrize(("cls", "body", "attr"), REGISTRIES)
def test_process_wide_registry_stays_app(tmp_path: Path, cls: str, body: str, attr: str) -> None:
    """A container the whole process fills keeps scope APP, with a reason naming the registry."""
    service = _service(tmp_path, cls, body)
    assert service.scope is Scope.APP
    assert service.scope_reason.startswith("a process-wide registry")
    assert attr in service.scope_reason


PER_USER = [
    pytest.param(
        "Tracker",
        "    def __init__(self):\n        self._state = {}\n\n"
        "    def begin(self, run_id, info):\n        self._state[run_id] = info\n",
        Scope.SESSION,
        "self._state",
        id="keyed-by-run-id",
    ),
    pytest.param(
        "SessionManager",
        "    def __init__(self):\n        self.sessions = {}\n\n"
        "    def start(self, key, s):\n        self.sessions[key] = s\n",
        Scope.SESSION,
        "self.sessions",
        id="named-for-its-owner",
    ),
    pytest.param(
        "ResponseProcessor",
        "    def __init__(self):\n        self._chunks = []\n\n"
        "    def feed(self, chunk):\n        self._chunks.append(chunk)\n\n"
        "    def finish(self):\n        text = ''.join(self._chunks)\n"
        "        self._chunks.clear()\n        return text\n",
        Scope.REQUEST,
        "self._chunks",
        id="filled-and-drained-buffer",
    ),
]


@pytest.mark.parametrize(("cls", "body", "scope", "attr"), PER_USER)
def test_per_user_state_gets_a_shorter_scope(
    tmp_path: Path, cls: str, body: str, scope: Scope, attr: str
) -> None:
    """Per-user containers still give SESSION (keyed) or REQUEST (a per-call buffer)."""
    service = _service(tmp_path, cls, body)
    assert service.scope is scope
    assert attr in service.scope_reason
    assert "registry" not in service.scope_reason


def test_per_user_state_wins_over_a_registry_beside_it(tmp_path: Path) -> None:
    """A class with both a registry and per-user state is SESSION, naming only the latter."""
    service = _service(
        tmp_path,
        "Hub",
        "    def __init__(self):\n        self._handlers = {}\n        self.connections = {}\n\n"
        "    def on(self, event, handler):\n        self._handlers[event] = handler\n\n"
        "    def join(self, user_id, ws):\n        self.connections[user_id] = ws\n",
    )
    assert service.scope is Scope.SESSION
    assert "self.connections" in service.scope_reason
    assert "self._handlers" not in service.scope_reason


def test_registry_built_from_request_data_is_request(tmp_path: Path) -> None:
    """Per-request constructor parameters still make a registry-holding class REQUEST."""
    service = _service(
        tmp_path,
        "Cache",
        "    def __init__(self, tenant=None):\n        self.tenant = tenant\n"
        "        self._entries = {}\n\n"
        "    def put(self, key, value):\n        self._entries[key] = value\n",
    )
    assert service.scope is Scope.REQUEST
    assert "tenant" in service.scope_reason


def test_stateless_service_reason_is_unchanged(tmp_path: Path) -> None:
    """A class with no mutable containers is APP and called stateless, not a registry."""
    service = _service(tmp_path, "Mailer", "    def send(self, to):\n        return to\n")
    assert service.scope is Scope.APP
    assert service.scope_reason == "stateless: one instance can serve every request"
