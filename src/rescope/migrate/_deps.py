"""Phase ``deps``: generate the dependencies module (one provider and one alias per service).

Nothing else changes, so the phase cannot break anything: the getters keep working and
the providers call them. A provider is ``async def`` so FastAPI runs it on the event
loop, where the handlers called the getters, rather than in its thread pool (where a lazy
getter's check-then-set could race).
"""

from __future__ import annotations

import libcst as cst

from rescope.migrate._imports import add_imports
from rescope.migrate._model import Phase, PhaseReport
from rescope.migrate._plan import MigrationPlan, ServicePlan

__all__ = ["deps_phase", "render_provider"]

_HEADER = '''"""FastAPI dependencies for the application's services.

Each provider returns the instance the service's getter returns today, so injected code and
code that still calls the getters share one object. Inject a service with its alias::

    @router.get("/me")
    async def me(auth_service: AuthServiceDep): ...

and replace it in a test with ``app.dependency_overrides[provide_auth_service]``. Providers
are ``async def`` so FastAPI calls them on the event loop, as the handlers called the
getters, not in its thread pool.
"""

from typing import {typing}

from fastapi import Depends
'''


def _head_import(service: ServicePlan) -> tuple[str, str]:
    return (service.service.accessor_module, service.accessor_head)


def render_provider(service: ServicePlan) -> str:
    """The provider function and alias of one service, as source text."""
    svc = service.service
    kind = "async def"
    returns = service.return_type()
    body = f"    return {service.accessor_call()}\n"
    if service.lazy:
        returns = f'"{returns}"'
        body = f"    from {svc.accessor_module} import {service.accessor_head}\n\n" + body
    described = (
        svc.accessor
        if svc.shape in {"module_instance", "class_cached_client"}
        else (service.accessor_call().removeprefix("await "))
    )
    alias_type = f'"{svc.name}"' if service.lazy else svc.name
    if svc.shape == "class_cached_client":
        alias_type = f'"type[{svc.name}]"' if service.lazy else f"type[{svc.name}]"
    return (
        f"\n\n{kind} {service.provider}() -> {returns}:\n"
        f'    """Provide the `{svc.name}` that `{described}` returns."""\n'
        f"{body}"
        f"\n\n{service.alias} = Annotated[{alias_type}, Depends({service.provider})]\n"
    )


def _imports(services: list[ServicePlan]) -> tuple[str, str]:
    eager: dict[str, set[str]] = {}
    lazy: dict[str, set[str]] = {}
    for service in services:
        svc = service.service
        if service.lazy:
            lazy.setdefault(svc.module, set()).add(svc.name)
            continue
        eager.setdefault(svc.module, set()).add(svc.name)
        module, head = _head_import(service)
        eager.setdefault(module, set()).add(head)
    lines = "".join(
        f"from {m} import {', '.join(sorted(names))}\n" for m, names in sorted(eager.items())
    )
    checking = "".join(
        f"    from {m} import {', '.join(sorted(names))}\n" for m, names in sorted(lazy.items())
    )
    return lines, checking


def _render(services: list[ServicePlan]) -> str:
    eager, checking = _imports(services)
    typing = "TYPE_CHECKING, Annotated" if checking else "Annotated"
    text = _HEADER.format(typing=typing)
    if eager:
        text += "\n" + eager
    if checking:
        text += "\nif TYPE_CHECKING:\n" + checking
    return text + "".join(render_provider(s) for s in services)


def _defined(module: cst.Module) -> set[str]:
    names: set[str] = set()
    for stmt in module.body:
        if isinstance(stmt, cst.FunctionDef | cst.ClassDef):
            names.add(stmt.name.value)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if isinstance(small, cst.Assign):
                    names.update(
                        t.target.value for t in small.targets if isinstance(t.target, cst.Name)
                    )
    return names


def _extend(text: str, services: list[ServicePlan]) -> str:
    module = cst.parse_module(text)
    defined = _defined(module)
    missing = [s for s in services if s.provider not in defined and s.alias not in defined]
    if not missing:
        return text
    wanted = [("typing", "Annotated"), ("fastapi", "Depends")]
    for service in missing:
        if not service.lazy:
            wanted.append((service.service.module, service.service.name))
            wanted.append(_head_import(service))
    module = add_imports(module, wanted)
    return module.code.rstrip("\n") + "\n" + "".join(render_provider(s) for s in missing)


def deps_phase(plan: MigrationPlan) -> PhaseReport:
    """Plan the dependencies module: create it, or add the providers it lacks.

    Args:
        plan: The migration plan.
    """
    report = PhaseReport(Phase.DEPS, scanned=plan.audit.files)
    project, path = plan.project, plan.deps_path
    services = [s for s in plan.services if s.service.users]
    for unused in (s for s in plan.services if not s.service.users):
        svc = unused.service
        report.note(
            "left-alone",
            svc.path,
            svc.line,
            f"nothing uses `{svc.name}`: no provider, so its module is not imported for it",
        )
    if not services:
        report.note("left-alone", path, 0, "the audit found no services: nothing to provide")
        return report
    if project.exists(path):
        before = project.read(path)
        report.parsed += 1
        after = _extend(before, services)
    else:
        before = None
        after = _render(services)
        report.note(
            "created",
            path,
            0,
            f"{len(services)} providers and `Annotated` aliases"
            f" ({sum(s.lazy for s in services)} import their service lazily)",
        )
    if after != before:
        project.stage(path, after)
    return report
