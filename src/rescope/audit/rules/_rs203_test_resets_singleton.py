"""RS203: a test that resets a singleton by assigning its global."""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._facts import ModuleFacts, Reset
from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["TestResetsSingleton"]


class TestResetsSingleton(Rule):
    """A test or fixture that sets a singleton's global (or class attribute) back to ``None``.

    What it does:
        Finds ``module._svc = None``, ``Service._instance = None`` and
        ``monkeypatch.setattr(module, "_svc", None)`` in test code when the target is the
        global behind a getter or singleton class, and **stale resets**: assignments to a
        module or attribute that no longer exists, which silently do nothing.

    Why is this bad?
        Every test must remember every global; a forgotten or stale reset leaks one test's
        objects into the next, and the failures depend on test order.

    Example:
        @pytest.fixture(autouse=True)
        def reset():
            auth_service._auth_service = None

    Use instead:
        @pytest.fixture
        def container():
            with test_container() as c:  # a fresh container per test, nothing to reset
                yield c
    """

    __test__ = False  # not a pytest test class, despite the name

    code = "RS203"
    name = "test-resets-singleton"
    severity = Severity.MEDIUM
    message = "test code resets `{symbol}`{why}"
    fix_title = "{fix}"
    VALID: ClassVar[list[Example]] = [
        {
            "app/svc.py": "VALUE = 1\n",
            "tests/test_svc.py": "import app.svc as svc\n\ndef test_x(tmp_path):\n"
            "    obj = object()\n    svc.VALUE = 2\n",
        },
        {
            "app/__init__.py": "def current():\n    return object()\n",
            "app/cli.py": "def run(path):\n    return open(path).read()\n",
            "tests/test_app.py": "import app\nfrom app import cli\n\ndef test_x():\n"
            "    app.current().parent = None\n    cli.open = lambda path: None\n",
        },
    ]
    INVALID: ClassVar[list[Example]] = [
        {
            "app/svc.py": "class Svc:\n    def run(self): ...\n\n_svc = None\n\n"
            "def get_svc():\n    global _svc\n    if _svc is None:\n        _svc = Svc()\n"
            "    return _svc\n",
            "tests/conftest.py": "import pytest\nfrom app import svc\n\n"
            "@pytest.fixture(autouse=True)\ndef reset():\n    yield\n    svc._svc = None\n",
        },
        {
            "app/svc.py": "VALUE = 1\n",
            "tests/conftest.py": "import app.svc as svc\nimport app.gone as gone\n\n"
            "def teardown():\n    svc._removed = None\n    gone._svc = None\n",
        },
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per reset of a singleton global and per stale reset."""
        for facts in ctx.modules:
            if not facts.is_test or facts.problem is not None:
                continue
            for fn in facts.all_functions():
                for reset in fn.resets:
                    finding = self._judge(ctx, facts, reset)
                    if finding is not None:
                        yield finding

    def _judge(self, ctx: Context, facts: ModuleFacts, reset: Reset) -> Finding | None:  # noqa: C901, PLR0912
        head = reset.target.partition(".")[0]
        if head in facts.imports or head in facts.names:
            qualified = ctx.index.resolve(facts, reset.target)
        else:
            qualified = ctx.index.canonical(reset.target)
        if not ctx.index.is_project_name(qualified):
            return None
        symbol = f"{qualified}.{reset.attr}"
        module, rest = ctx.index.module_of(qualified)
        stale = ""
        if qualified in ctx.index.classes:
            _, cls = ctx.index.classes[qualified]
            known = {a for a, _, _ in cls.attrs} | {
                w.name.partition(".")[2] for m in cls.methods for w in m.global_writes
            }
            if reset.attr not in known:
                stale = f"`{cls.name}` has no attribute `{reset.attr}`"
        elif module is None:
            stale = f"module `{qualified}` no longer exists"
        elif rest:
            if rest.partition(".")[0] not in module.names:
                stale = f"module `{module.module}` has no `{rest}`"
            else:
                return None
        elif reset.attr not in module.names and not hasattr(builtins, reset.attr):
            # Setting a builtin's name on a module (`cli.open = fake`) shadows it there.
            stale = f"module `{qualified}` has no global `{reset.attr}`"
        if stale:
            return self.finding(
                facts.path,
                reset.line,
                symbol,
                severity=Severity.HIGH,
                why=f", which {stale}: the reset silently does nothing",
                fix="Remove the stale reset, and inject the service so tests need no resets",
            )
        if reset.value.kind not in {"none", "bool"}:
            return None
        owner = ctx.inventory.holders.get(symbol)
        if owner is None:
            return None
        return self.finding(
            facts.path,
            reset.line,
            symbol,
            why=f", the global behind `{owner}`",
            fix="Give each test a fresh container (rescope.testing) instead of resetting globals",
        )
