"""Phase ``container``, outside the services: the registry module, providers, resets, the app.

* the **registry module** (``<app package>/service_registry.py``) registers every moved
  service and owns the application's container (``app_container()``, ``reset_container()``);
* the dependencies module's **providers** keep their names (so ``Depends`` aliases and
  ``app.dependency_overrides`` keep working) but resolve from that container;
* ``reset_singletons()`` closes the container (a fresh one per test) and stops naming the
  globals that are gone;
* the **app** is set up with ``rescope.fastapi.setup(app, app_container)``, which builds and
  validates the container at startup and closes it at shutdown.
"""

from __future__ import annotations

import libcst as cst

from rescope.migrate._imports import add_imports, is_docstring, remove_imports
from rescope.migrate._plan import ServicePlan

__all__ = ["add_registrations", "render_registry", "resolve_providers", "set_up_app"]

_HEADER = '''"""The application's services, registered with rescope's container.

``app_container()`` is the container the app serves from (``rescope.fastapi.setup``) and
the deprecated getters resolve from, so injected code and code that still calls a getter
share one instance per container. Tests call ``reset_container()`` for fresh services.
"""

import threading

from rescope import Container, Registry, Scope
'''

_FOOTER = '''

# The container in use (at most one): built on first use, built anew once it is closed.
_current: list[Container] = []
_lock = threading.Lock()


def app_container() -> Container:
    """The application's container, built from ``registry`` on first use and after a close."""
    with _lock:
        if not _current or _current[0].closed:
            _current[:] = [Container(registry)]
        return _current[0]


def reset_container() -> None:
    """Close the application's container: the next use builds every service anew."""
    with _lock:
        while _current:
            container = _current.pop()
            if not container.closed:
                container.close()
'''


def _registration(service: ServicePlan, scope: str) -> str:
    return f"registry.add({service.service.name}, scope=Scope.{scope})\n"


def render_registry(services: list[tuple[ServicePlan, str]]) -> str:
    """The registry module for ``services`` (each with its scope name), as source text."""
    imports: dict[str, set[str]] = {}
    for service, _ in services:
        imports.setdefault(service.service.module, set()).add(service.service.name)
    lines = "".join(
        f"from {m} import {', '.join(sorted(names))}\n" for m, names in sorted(imports.items())
    )
    adds = "".join(_registration(s, scope) for s, scope in services)
    return f"{_HEADER}\n{lines}\nregistry = Registry()\n{adds}{_FOOTER}"


def _registered(module: cst.Module) -> tuple[set[str], int]:
    names: set[str] = set()
    last = -1
    for index, stmt in enumerate(module.body):
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            call = small.value if isinstance(small, cst.Expr) else None
            if (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "add"
                and call.args
                and isinstance(call.args[0].value, cst.Name)
            ):
                names.add(call.args[0].value.value)
                last = index
    return names, last


def add_registrations(text: str, services: list[tuple[ServicePlan, str]]) -> str:
    """Add the registrations ``text`` (an existing registry module) lacks.

    Args:
        text: The registry module's source.
        services: The services to register, each with its scope name.
    """
    module = cst.parse_module(text)
    names, last = _registered(module)
    missing = [(s, scope) for s, scope in services if s.service.name not in names]
    if not missing or last < 0:
        return text
    module = add_imports(module, [(s.service.module, s.service.name) for s, _ in missing])
    names, last = _registered(module)
    body = list(module.body)
    body[last + 1 : last + 1] = [
        cst.parse_statement(_registration(s, scope)) for s, scope in missing
    ]
    return module.with_changes(body=body).code


def _resolving(provider: cst.FunctionDef, name: str) -> cst.FunctionDef:
    text = f'"""Provide the `{name}` of the app container."""\nreturn app_container().get({name})\n'
    block = provider.body.with_changes(body=list(cst.parse_module(text).body))
    return provider.with_changes(body=block)


def _reset_container_first(fn: cst.FunctionDef) -> cst.FunctionDef:
    statements = list(fn.body.body)
    code = cst.Module([]).code_for_node(fn)
    if "reset_container()" in code:
        return fn
    at = 1 if statements and is_docstring(statements[0]) else 0
    statements.insert(at, cst.parse_statement("reset_container()\n"))
    return fn.with_changes(body=fn.body.with_changes(body=statements))


def _drop_rows(stmt: cst.BaseStatement, gone: set[str]) -> cst.BaseStatement:
    if not isinstance(stmt, cst.SimpleStatementLine) or len(stmt.body) != 1:
        return stmt
    small = stmt.body[0]
    if not (
        isinstance(small, cst.Assign)
        and isinstance(small.targets[0].target, cst.Name)
        and small.targets[0].target.value == "SINGLETON_GLOBALS"
        and isinstance(small.value, cst.Tuple)
    ):
        return stmt
    kept: list[cst.BaseElement] = []
    for element in small.value.elements:
        row = element.value
        if isinstance(row, cst.Tuple) and len(row.elements) == 3:  # noqa: PLR2004 - (m, a, v)
            module, attr = (e.value for e in row.elements[:2])
            if (
                isinstance(module, cst.SimpleString)
                and isinstance(attr, cst.SimpleString)
                and f"{module.evaluated_value!s}.{attr.evaluated_value!s}" in gone
            ):
                continue
        kept.append(element)
    if len(kept) == len(small.value.elements):
        return stmt
    return stmt.with_changes(
        body=[small.with_changes(value=small.value.with_changes(elements=kept))]
    )


def resolve_providers(
    text: str, services: list[ServicePlan], registry_module: str, gone: set[str]
) -> str:
    """Rewrite the dependencies module so moved services resolve from the app container.

    Args:
        text: The dependencies module's source.
        services: The services that moved into the container.
        registry_module: Dotted name of the registry module.
        gone: ``module.global`` names that no longer exist (dropped from the resets).
    """
    module = cst.parse_module(text)
    by_provider = {s.provider: s for s in services}
    body: list[cst.BaseStatement] = []
    resets = False
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef) and stmt.name.value in by_provider:
            body.append(_resolving(stmt, by_provider[stmt.name.value].service.name))
        elif isinstance(stmt, cst.FunctionDef) and stmt.name.value == "reset_singletons":
            body.append(_reset_container_first(stmt))
            resets = True
        else:
            body.append(_drop_rows(stmt, gone))
    module = module.with_changes(body=body)
    module, _ = remove_imports(module, {s.service.accessor for s in services})
    wanted = [(registry_module, "app_container")]
    if resets:
        wanted.append((registry_module, "reset_container"))
    return add_imports(module, wanted).code


def set_up_app(text: str, app_name: str, registry_module: str) -> str | None:
    """Call ``rescope.fastapi.setup(app, app_container)`` in the app module.

    In the factory that builds the app (``app = create_app()``), right before it returns
    the app; otherwise at the end of the module.

    Args:
        text: The app module's source.
        app_name: The app's module-level name.
        registry_module: Dotted name of the registry module.

    Returns:
        The new source, or ``None`` when it already calls ``setup``.
    """
    if "rescope.fastapi.setup(" in text:
        return None
    module = cst.parse_module(text)
    factory = _factory_of(module, app_name)
    body = list(module.body)
    done = False
    if factory is not None:
        for index, stmt in enumerate(body):
            if isinstance(stmt, cst.FunctionDef) and stmt.name.value == factory:
                new = _before_return(stmt)
                if new is not None:
                    body[index] = new
                    done = True
    if not done:
        body.append(cst.parse_statement(f"rescope.fastapi.setup({app_name}, app_container)\n"))
    module = module.with_changes(body=body)
    module = add_imports(module, [(registry_module, "app_container")])
    return _with_import(module, "rescope.fastapi").code


def _factory_of(module: cst.Module, app_name: str) -> str | None:
    for stmt in module.body:
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(stmt.body[0], cst.Assign):
            assign = stmt.body[0]
            if (
                any(
                    isinstance(t.target, cst.Name) and t.target.value == app_name
                    for t in assign.targets
                )
                and isinstance(assign.value, cst.Call)
                and isinstance(assign.value.func, cst.Name)
            ):
                return assign.value.func.value
    return None


def _before_return(fn: cst.FunctionDef) -> cst.FunctionDef | None:
    statements = list(fn.body.body)
    last = statements[-1] if statements else None
    if not (
        isinstance(last, cst.SimpleStatementLine)
        and isinstance(last.body[0], cst.Return)
        and isinstance(last.body[0].value, cst.Name)
    ):
        return None
    local = last.body[0].value.value
    call = cst.parse_statement(f"rescope.fastapi.setup({local}, app_container)\n")
    statements.insert(len(statements) - 1, call)
    return fn.with_changes(body=fn.body.with_changes(body=statements))


def _with_import(module: cst.Module, name: str) -> cst.Module:
    body = list(module.body)
    last = -1
    for index, stmt in enumerate(body):
        if isinstance(stmt, cst.SimpleStatementLine) and isinstance(
            stmt.body[0], cst.Import | cst.ImportFrom
        ):
            last = index
    new = cst.parse_statement(f"import {name}\n")
    body.insert(last + 1, new)
    return module.with_changes(body=body)
