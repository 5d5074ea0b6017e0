"""The project index: every module's facts, with names resolved across modules.

``resolve(module, "gas")`` follows ``from backend.services.auth_service import
get_auth_service as gas`` to ``backend.services.auth_service.get_auth_service``, through
relative imports, aliases and re-exports in ``__init__`` modules.
"""

from __future__ import annotations

from collections.abc import Iterable

from rescope.audit._facts import ClassFacts, FunctionFacts, ModuleFacts

__all__ = ["ProjectIndex"]

_MAX_HOPS = 12


class ProjectIndex:
    """Lookups over all modules of one audit.

    Args:
        modules: The facts of every file that parsed.
    """

    def __init__(self, modules: Iterable[ModuleFacts]) -> None:
        self.modules: dict[str, ModuleFacts] = {}
        for facts in modules:
            if facts.problem is None:
                self.modules.setdefault(facts.module, facts)
        self.packages = {m.partition(".")[0] for m in self.modules}
        self.classes: dict[str, tuple[ModuleFacts, ClassFacts]] = {}
        self.functions: dict[str, tuple[ModuleFacts, FunctionFacts]] = {}
        for facts in self.modules.values():
            for cls in facts.classes:
                self.classes[f"{facts.module}.{cls.name}"] = (facts, cls)
                for method in cls.methods:
                    self.functions[f"{facts.module}.{method.qualname}"] = (facts, method)
            for fn in facts.functions:
                self.functions[f"{facts.module}.{fn.name}"] = (facts, fn)
        self._canon: dict[str, str] = {}
        self._defined = {name: _defined(facts) for name, facts in self.modules.items()}

    def resolve(self, facts: ModuleFacts, name: str) -> str:
        """Return the qualified name that ``name``, as written in ``facts``' module, denotes.

        Names bound by neither an import nor a definition (builtins, ``self.x``) come back
        unchanged.
        """
        head, dot, rest = name.partition(".")
        target = facts.imports.get(head)
        if target is None:
            if head in facts.names:
                target = f"{facts.module}.{head}"
            else:
                return name
        return self.canonical(f"{target}{dot}{rest}")

    def canonical(self, qualified: str) -> str:
        """Follow re-exports until ``qualified`` names its definition (or leaves the project)."""
        cached = self._canon.get(qualified)
        if cached is not None:
            return cached
        current = qualified
        for _ in range(_MAX_HOPS):
            nxt = self._step(current)
            if nxt is None or nxt == current:
                break
            current = nxt
        self._canon[qualified] = current
        return current

    def _step(self, qualified: str) -> str | None:
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            facts = self.modules.get(module)
            if facts is None:
                continue
            head, rest = parts[cut], parts[cut + 1 :]
            if f"{module}.{head}" in self.modules:
                return None  # a submodule: already canonical up to here
            target = facts.imports.get(head)
            if target is not None and head not in self._defined[module]:
                return ".".join([target, *rest])
            if head not in facts.names:
                for star in facts.star_imports:
                    star_facts = self.modules.get(star)
                    if star_facts is not None and head in star_facts.names:
                        return ".".join([star, head, *rest])
            return None
        return None

    def module_of(self, qualified: str) -> tuple[ModuleFacts | None, str]:
        """Split ``qualified`` into the longest known module and the attribute path after it."""
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            facts = self.modules.get(".".join(parts[:cut]))
            if facts is not None:
                return facts, ".".join(parts[cut:])
        return None, qualified

    def is_project_name(self, qualified: str) -> bool:
        """Whether ``qualified`` starts with a top-level package of the audited project."""
        return qualified.partition(".")[0] in self.packages


def _defined(facts: ModuleFacts) -> set[str]:
    return (
        {f.name for f in facts.functions}
        | {c.name for c in facts.classes}
        | {a.name for a in facts.assigns}
    )
