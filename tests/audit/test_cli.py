"""`rescope audit` as users run it: a real subprocess, its exit codes, formats and files."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from rescope.audit.reporters import json_schema
from tests.audit._helpers import run_cli, write_tree

HERE = Path(__file__).resolve().parent
SERVICE = (
    "class AuthService:\n    def login(self): ...\n\n_auth = None\n\n"
    "def get_auth_service():\n    global _auth\n    if _auth is None:\n"
    "        _auth = AuthService()\n    return _auth\n"
)


@pytest.fixture(name="project")
def fixture_project(tmp_path: Path) -> Path:
    """A two-module project with one lazy getter called from a route."""
    return write_tree(
        tmp_path,
        {
            "app/auth.py": SERVICE,
            "app/routes.py": "from fastapi import APIRouter\nfrom app.auth import get_auth_service\n\n"  # noqa: E501
            "router = APIRouter()\n\n@router.get('/me')\ndef me():\n"
            "    return get_auth_service().login()\n",
        },
    )


def test_exit_codes(project: Path, tmp_path: Path) -> None:
    """1 with findings, 0 when --fail-on is above them or nothing is found, 2 on misuse."""
    assert run_cli(str(project), "--no-cache").returncode == 1
    assert run_cli(str(project), "--no-cache", "--fail-on", "high").returncode == 0
    clean = write_tree(tmp_path / "clean", {"a.py": "x = 1\n"})
    assert run_cli(str(clean)).returncode == 0
    bad = run_cli(str(project), "--select", "RS9")
    assert bad.returncode == 2
    assert "matches no rule" in bad.stderr
    assert "Traceback" not in bad.stderr
    missing = run_cli(str(project / "nope"))
    assert missing.returncode == 2
    assert "does not exist" in missing.stderr


def test_terminal_report_prints_the_inventory(project: Path) -> None:
    """The default report names the service, its accessor, and the findings with fixes."""
    result = run_cli(str(project), "--no-cache")
    assert "AuthService" in result.stdout
    assert "get_auth_service" in result.stdout
    assert "RS201" in result.stdout
    assert "fix:" in result.stdout


def test_json_output_follows_the_shipped_schema(project: Path) -> None:
    """--format json validates against the JSON Schema shipped in the package."""
    result = run_cli(str(project), "--no-cache", "--format", "json")
    data = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(json_schema())
    jsonschema.validate(data, json_schema(), cls=jsonschema.Draft202012Validator)
    assert data["schema_version"] == 1
    assert {f["rule"] for f in data["findings"]} == {"RS101", "RS201"}
    assert data["services"][0]["users"][0]["kind"] == "route"


def test_sarif_output_is_valid_for_code_scanning(project: Path, tmp_path: Path) -> None:
    """--format sarif -o FILE writes SARIF 2.1.0 that satisfies GitHub's requirements."""
    out = tmp_path / "report.sarif"
    assert run_cli(str(project), "--no-cache", "--format", "sarif", "-o", str(out)).returncode == 1
    log = json.loads(out.read_text(encoding="utf-8"))
    schema = json.loads((HERE / "sarif_github_subset.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema, cls=jsonschema.Draft7Validator)
    (run,) = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert not Path(
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        ).is_absolute()


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("markdown", "| `AuthService` |"),
        ("mermaid", "graph LR"),
        ("dot", "digraph services {"),
    ],
)
def test_document_and_graph_formats(project: Path, fmt: str, expected: str) -> None:
    """Markdown, Mermaid and DOT reports contain their format's marker and the service."""
    result = run_cli(str(project), "--no-cache", "--format", fmt)
    assert expected in result.stdout
    assert "AuthService" in result.stdout


def test_baseline_accepts_old_findings_and_survives_line_shifts(
    project: Path, tmp_path: Path
) -> None:
    """After --write-baseline, moved code still passes and only a new finding fails."""
    baseline = tmp_path / "baseline.json"
    assert run_cli(str(project), "--write-baseline", str(baseline)).returncode == 0
    assert run_cli(str(project), "--baseline", str(baseline)).returncode == 0
    auth = project / "app" / "auth.py"
    auth.write_text("import os\n\n\n" + SERVICE, encoding="utf-8")
    assert run_cli(str(project), "--baseline", str(baseline)).returncode == 0
    (project / "app" / "mail.py").write_text(SERVICE.replace("Auth", "Mail"), encoding="utf-8")
    new = run_cli(str(project), "--baseline", str(baseline), "--format", "json")
    assert new.returncode == 1
    assert [f["path"] for f in json.loads(new.stdout)["findings"]] == ["app/mail.py"]
    broken = run_cli(str(project), "--baseline", str(tmp_path / "none.json"))
    assert broken.returncode == 2
    assert "--write-baseline" in broken.stderr
