"""RS204: a test that patches a getter to replace a singleton."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule

__all__ = ["TestPatchesGetter"]


class TestPatchesGetter(Rule):
    """A test that replaces a service by patching its getter: ``mock.patch("pkg.mod.get_x")``.

    What it does:
        Finds ``patch("...")``, ``mock.patch.object(module, "get_x")``, ``mocker.patch`` and
        ``monkeypatch.setattr`` in test code whose target resolves to a singleton getter or a
        value getter, including getters patched where a route module imported them.

    Why is this bad?
        A patch only works where the name is looked up: patch the wrong module and the real
        service runs. Each test knows the module layout of the code it tests.

    Example:
        @patch("backend.api.routes.auth.get_auth_service")
        def test_login(mock_get): ...

    Use instead:
        def test_login(container):
            container.override(AuthService, FakeAuthService())
    """

    __test__ = False  # not a pytest test class, despite the name

    code = "RS204"
    name = "test-patches-getter"
    severity = Severity.LOW
    message = "test patches `{target}` to replace `{cls}`"
    fix_title = "Override `{cls}` in the test container instead of patching its getter"
    VALID: ClassVar[list[Example]] = [
        {
            "app/clock.py": "import time\n\ndef now():\n    return time.time()\n",
            "tests/test_clock.py": "from unittest import mock\n\ndef test_now():\n"
            "    with mock.patch('app.clock.now', return_value=1):\n        pass\n",
        },
    ]
    INVALID: ClassVar[list[Example]] = [
        {
            "app/svc.py": "class Svc:\n    def run(self): ...\n\n_svc = None\n\n"
            "def get_svc():\n    global _svc\n    if _svc is None:\n        _svc = Svc()\n"
            "    return _svc\n",
            "app/routes.py": "from app.svc import get_svc\n",
            "tests/test_routes.py": "from unittest.mock import patch\n\n"
            "@patch('app.routes.get_svc')\ndef test_route(get_svc):\n    pass\n",
        },
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per patch of a getter."""
        for facts in ctx.modules:
            if not facts.is_test or facts.problem is not None:
                continue
            for fn in facts.all_functions():
                for patch in fn.patches:
                    if patch.by_string:
                        qualified = ctx.index.canonical(patch.target)
                    else:
                        qualified = ctx.index.resolve(facts, patch.target)
                    single = ctx.inventory.accessor_for(qualified)
                    cache = ctx.inventory.value_getters.get(qualified)
                    if single is not None and single.shape != "module_instance":
                        cls = single.target.name
                    elif cache is not None:
                        cls = cache.holds
                    else:
                        continue
                    yield self.finding(
                        facts.path,
                        patch.line,
                        f"{fn.qualname}:{patch.target}",
                        target=patch.target,
                        cls=cls,
                    )
