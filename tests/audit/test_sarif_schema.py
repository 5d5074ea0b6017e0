"""SARIF output against the official OASIS SARIF 2.1.0 JSON schema.

``sarif-schema-2.1.0.json`` here is the schema OASIS publishes with SARIF 2.1.0 errata01
(https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json),
kept unchanged; ``sarif_github_subset.schema.json`` (used by test_cli.py) adds what GitHub
code scanning requires on top of it.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from rescope.audit import AuditConfig, run_audit
from rescope.audit.reporters import render
from tests.audit._helpers import write_tree

HERE = Path(__file__).resolve().parent
LEGACY_APP = HERE.parents[1] / "examples" / "legacy_app"
TREES: dict[str, dict[str, str | bytes]] = {
    "unparsable files": {
        "app/broken.py": "def f(:\n    pass\n",
        "app/latin1.py": b"name = 'caf\xe9'\n",
    },
    "nothing to report": {"app/clean.py": "VALUE = 1\n"},
}


@pytest.fixture(name="schema", scope="module")
def fixture_schema() -> dict[str, object]:
    """The official SARIF 2.1.0 schema, checked to be a valid Draft 7 schema itself."""
    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return schema


def _validate(log: dict[str, object], schema: dict[str, object]) -> None:
    validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def test_sarif_of_the_legacy_app_is_valid_sarif(schema: dict[str, object]) -> None:
    """The SARIF log of a real audit with findings of many rules satisfies the schema."""
    result = run_audit([LEGACY_APP], AuditConfig(use_cache=False))
    assert len({f.rule for f in result.findings}) > 3
    log = json.loads(render(result, "sarif"))
    _validate(log, schema)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert len(run["results"]) == len(result.findings)


@pytest.mark.parametrize("name", sorted(TREES))
def test_sarif_of_edge_cases_is_valid_sarif(
    tmp_path: Path, schema: dict[str, object], name: str
) -> None:
    """Unparsable files (RS001) and an empty report also give schema-valid SARIF."""
    write_tree(tmp_path, TREES[name])
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    _validate(json.loads(render(result, "sarif")), schema)
