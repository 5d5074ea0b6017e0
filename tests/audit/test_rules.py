"""Every rule's VALID and INVALID examples, run through the real engine on files on disk."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from rescope.audit import AuditConfig, run_audit
from rescope.audit.rules import ALL_RULES, RULES_BY_CODE, Rule
from tests.audit._helpers import write_tree

CASES = [
    pytest.param(rule, kind, example, id=f"{rule.code}-{kind}-{n}")
    for rule in ALL_RULES
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for n, example in enumerate(examples)
]


@pytest.mark.parametrize(("rule", "kind", "example"), CASES)
def test_rule_examples(tmp_path: Path, rule: type[Rule], kind: str, example) -> None:
    """A VALID example yields no finding of its rule; an INVALID one yields at least one."""
    write_tree(tmp_path, example)
    result = run_audit([tmp_path], AuditConfig(use_cache=False, select=(rule.code,)))
    found = [f for f in result.findings if f.rule == rule.code]
    if kind == "valid":
        assert found == []
    else:
        assert found, f"{rule.code} found nothing in its INVALID example"
        assert all(f.message and f.fix and f.fingerprint for f in found)


@pytest.mark.parametrize("rule", ALL_RULES, ids=lambda r: r.code)
def test_rule_is_documented(rule: type[Rule]) -> None:
    """Each rule has a stable code, a version, both example lists and the four doc sections."""
    doc = inspect.getdoc(rule) or ""
    for section in ("What it does:", "Why is this bad?", "Example:", "Use instead:"):
        assert section in doc, f"{rule.code} docstring lacks {section!r}"
    assert rule.code.startswith("RS")
    assert len(rule.code) == 5
    assert rule.since
    assert rule.VALID
    assert rule.INVALID
    assert rule.message != rule.fix_title


def test_codes_are_unique_and_sorted() -> None:
    """Rule codes are unique and ALL_RULES is in code order."""
    codes = [rule.code for rule in ALL_RULES]
    assert codes == sorted(set(codes))
    assert set(RULES_BY_CODE) == set(codes)


def test_nonlocal_closure_is_not_a_global_getter(tmp_path: Path) -> None:
    """A `nonlocal` lazy closure is not reported, while the same shape with `global` is."""
    write_tree(
        tmp_path,
        {
            "app/a.py": "class Svc:\n    def run(self): ...\n\n"
            "def make():\n    svc = None\n    def get():\n        nonlocal svc\n"
            "        if svc is None:\n            svc = Svc()\n        return svc\n"
            "    return get\n",
            "app/b.py": "from app.a import Svc\n_svc = None\n\ndef get():\n    global _svc\n"
            "    if _svc is None:\n        _svc = Svc()\n    return _svc\n",
        },
    )
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert [(f.rule, f.path, f.line) for f in result.findings] == [("RS101", "app/b.py", 4)]


def test_value_caches_are_not_services(tmp_path: Path) -> None:
    """A lazy global holding a dict and a cached settings getter are value caches, not findings."""
    write_tree(
        tmp_path,
        "import functools\nimport json\n_config = None\n\ndef get_config():\n"
        "    global _config\n    if _config is None:\n        _config = json.load(open('c'))\n"
        "    return _config\n\n@functools.cache\ndef get_limits():\n    return {'a': 1}\n",
    )
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert result.findings == []
    assert result.services == []
    assert [(c.name, c.line) for c in result.value_caches] == [
        ("get_config", 5),
        ("get_limits", 12),
    ]
