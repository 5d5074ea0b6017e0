"""The engine on real source trees: resolution, discovery, parse errors, cache, parallelism."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rescope.audit import AuditConfig, run_audit
from rescope.exceptions import AuditError, ConfigurationError
from tests.audit._helpers import write_tree

SERVICE = (
    "class AuthService:\n    def login(self): ...\n\n_auth = None\n\n"
    "def get_auth_service():\n    global _auth\n    if _auth is None:\n"
    "        _auth = AuthService()\n    return _auth\n"
)
ROUTE = "from fastapi import APIRouter\n{imports}\n\nrouter = APIRouter()\n\n@router.get('/x')\nasync def handler():\n    return {call}.login()\n"  # noqa: E501


def _rules(result, rule: str) -> list[tuple[str, int]]:
    return [(f.path, f.line) for f in result.findings if f.rule == rule]


@pytest.mark.parametrize(
    ("imports", "call"),
    [
        ("from backend.services.auth_service import get_auth_service as gas", "gas()"),
        ("from backend.services import get_auth_service", "get_auth_service()"),
        ("from ..services.auth_service import get_auth_service", "get_auth_service()"),
        ("import backend.services.auth_service as auth_mod", "auth_mod.get_auth_service()"),
        ("from backend.services import auth_service", "auth_service.get_auth_service()"),
    ],
)
def test_getter_calls_are_followed_through_imports(tmp_path: Path, imports: str, call: str) -> None:
    """Absolute, relative, aliased and re-exported imports all lead to the getter."""
    write_tree(
        tmp_path,
        {
            "backend/__init__.py": "",
            "backend/services/__init__.py": "from .auth_service import get_auth_service\n",
            "backend/services/auth_service.py": SERVICE,
            "backend/api/__init__.py": "",
            "backend/api/routes.py": ROUTE.format(imports=imports, call=call),
        },
    )
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert _rules(result, "RS201") == [("backend/api/routes.py", 8)]
    (service,) = result.services
    assert (service.name, service.accessor, service.module) == (
        "AuthService",
        "get_auth_service",
        "backend.services.auth_service",
    )
    assert [(u.kind, u.how) for u in service.users] == [("route", "direct")]


def test_depends_in_a_signature_is_injection(tmp_path: Path) -> None:
    """`Depends(getter)` is counted as an injected use, not as a finding."""
    write_tree(
        tmp_path,
        {
            "app/auth.py": SERVICE,
            "app/routes.py": "from fastapi import APIRouter, Depends\n"
            "from app.auth import get_auth_service\n\nrouter = APIRouter()\n\n"
            "@router.get('/x')\nasync def handler(auth=Depends(get_auth_service)):\n"
            "    return auth.login()\n",
        },
    )
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert _rules(result, "RS201") == []
    assert [(u.kind, u.how) for u in result.services[0].users] == [("route", "injected")]


def test_gitignore_and_pyproject_excludes_are_honoured(tmp_path: Path) -> None:
    """Files ignored by .gitignore or `[tool.rescope] exclude` are not audited."""
    write_tree(
        tmp_path,
        {
            ".gitignore": "generated/\n",
            "pyproject.toml": '[tool.rescope]\nexclude = ["vendor"]\n',
            "app/auth.py": SERVICE,
            "generated/auth.py": SERVICE,
            "vendor/auth.py": SERVICE,
        },
    )
    result = run_audit([tmp_path])
    assert {f.path for f in result.findings} == {"app/auth.py"}


def test_parse_errors_and_non_utf8_are_findings_and_the_run_goes_on(tmp_path: Path) -> None:
    """A syntax error and a Latin-1 file are RS001 with their lines; other files are audited."""
    write_tree(
        tmp_path,
        {
            "app/auth.py": SERVICE,
            "app/broken.py": "x = 1\n\ndef f(:\n    pass\n",
            "app/latin1.py": b"# comment\nname = 'caf\xe9'\n",
        },
    )
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert _rules(result, "RS001") == [("app/broken.py", 3), ("app/latin1.py", 2)]
    assert _rules(result, "RS101") == [("app/auth.py", 6)]


def test_symlink_loops_and_huge_files_are_skipped(tmp_path: Path) -> None:
    """A directory symlink to its parent ends the walk; a file over max-file-size is skipped."""
    write_tree(tmp_path, {"app/auth.py": SERVICE, "app/big.py": "x = 1\n" * 5000})
    (tmp_path / "app" / "loop").symlink_to(tmp_path / "app", target_is_directory=True)
    result = run_audit([tmp_path], AuditConfig(use_cache=False, max_file_size=10_000))
    assert {f.path for f in result.findings} == {"app/auth.py"}
    reasons = dict(result.skipped)
    assert "max-file-size" in reasons["app/big.py"]
    assert "symlink loop" in reasons["app/loop"]


def test_inline_suppression(tmp_path: Path) -> None:
    """`# rescope: ignore[RS101]` and a bare `# rescope: ignore` silence the finding on their line."""  # noqa: E501
    source = SERVICE.replace(
        "def get_auth_service():", "def get_auth_service():  # rescope: ignore[RS101]"
    )
    other = SERVICE.replace("def get_auth_service():", "def get_auth_service():  # rescope: ignore")
    wrong = SERVICE.replace(
        "def get_auth_service():", "def get_auth_service():  # rescope: ignore[RS999]"
    )
    write_tree(tmp_path, {"app/a.py": source, "app/b.py": other, "app/c.py": wrong})
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    assert _rules(result, "RS101") == [("app/c.py", 6)]
    assert result.suppressed == 2


def test_cache_hits_after_the_first_run_and_misses_after_an_edit(tmp_path: Path) -> None:
    """The second run reads every file's facts from the cache; an edited file is parsed again."""
    write_tree(tmp_path, {"app/a.py": SERVICE, "app/b.py": "x = 1\n"})
    first = run_audit([tmp_path])
    second = run_audit([tmp_path])
    assert (first.cached_files, second.cached_files) == (0, 2)
    assert [f.line for f in first.findings] == [f.line for f in second.findings]
    (tmp_path / "app" / "a.py").write_text("\n\n" + SERVICE, encoding="utf-8")
    third = run_audit([tmp_path])
    assert third.cached_files == 1
    assert _rules(third, "RS101") == [("app/a.py", 8)]
    assert (tmp_path / ".rescope_cache").is_dir()


def test_concurrent_runs_share_the_cache_safely(tmp_path: Path) -> None:
    """Four processes auditing the same tree at once all succeed with the same findings."""
    files = {f"app/m{n}.py": SERVICE for n in range(40)}
    write_tree(tmp_path, files)
    code = (
        "import sys, json; from pathlib import Path; from rescope.audit import run_audit;"
        "r = run_audit([Path(sys.argv[1])]);"
        "print(json.dumps(sorted((f.path, f.line) for f in r.findings)))"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert len(set(outputs)) == 1
    assert run_audit([tmp_path]).cached_files == 40


def test_process_pool_gives_the_same_result_as_one_process(tmp_path: Path) -> None:
    """A tree big enough for the worker pool yields exactly the findings of a serial run."""
    files = {f"pkg/m{n}.py": SERVICE.replace("AuthService", f"Svc{n}") for n in range(120)}
    files["pkg/broken.py"] = "def f(:\n"
    write_tree(tmp_path, files)
    parallel = run_audit([tmp_path], AuditConfig(use_cache=False, jobs=2))
    serial = run_audit([tmp_path], AuditConfig(use_cache=False, jobs=1))
    assert [(f.rule, f.path, f.line) for f in parallel.findings] == [
        (f.rule, f.path, f.line) for f in serial.findings
    ]
    assert len(parallel.services) == 120


def test_missing_path_and_bad_configuration_are_errors(tmp_path: Path) -> None:
    """A missing path is an AuditError; an unknown setting names itself and the fix."""
    with pytest.raises(AuditError, match="does not exist"):
        run_audit([tmp_path / "nope"])
    write_tree(tmp_path, {"pyproject.toml": "[tool.rescope]\nselekt = ['RS1']\n", "a.py": ""})
    with pytest.raises(ConfigurationError, match="unknown setting `selekt`") as info:
        run_audit([tmp_path])
    assert info.value.setting == "tool.rescope.selekt"
    (tmp_path / "pyproject.toml").write_text(
        "[tool.rescope.rules.RS105]\nignore-nams = []\n", encoding="utf-8"
    )
    with pytest.raises(ConfigurationError, match="RS105 has no option `ignore-nams`"):
        run_audit([tmp_path])


def test_audit_never_runs_the_code(tmp_path: Path) -> None:
    """Auditing a module that would write a file at import leaves no such file."""
    marker = tmp_path / "ran"
    write_tree(tmp_path, {"app/evil.py": f"open({str(marker)!r}, 'w').write('x')\n" + SERVICE})
    run_audit([tmp_path], AuditConfig(use_cache=False))
    assert not marker.exists()
    assert os.listdir(tmp_path) == ["app"]  # noqa: PTH208


def test_generated_code_nested_too_deeply_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    """A file whose nesting exhausts the parser is RS001 with a reason; other files are audited."""
    deep = "def f():\n    return g" + "+g" * 60_000 + "\n"
    write_tree(tmp_path, {"app/auth.py": SERVICE, "app/generated.py": deep})
    result = run_audit([tmp_path], AuditConfig(use_cache=False))
    (problem,) = [f for f in result.findings if f.rule == "RS001"]
    assert problem.path == "app/generated.py"
    assert "nested too deeply" in problem.message
    assert _rules(result, "RS101") == [("app/auth.py", 6)]
