"""The hazard rules (RS401-RS602) beyond their examples: configuration and the shared scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from rescope.audit import AuditConfig, load_config, run_audit
from rescope.audit._engine import known_rule_options
from rescope.exceptions import ConfigurationError
from tests.audit._helpers import run_cli, write_tree

CODE = (
    "import time\nimport mylib\n\nasync def handler():\n    time.sleep(1)\n    mylib.slow_call()\n"
)


def test_blocking_table_adds_and_drops_patterns(tmp_path: Path) -> None:
    """`[tool.rescope.blocking]` adds a pattern with its suggestion and `false` drops a default."""
    write_tree(
        tmp_path,
        {
            "pyproject.toml": '[tool.rescope.blocking]\n"mylib.slow_*" = "`await mylib.fast()`"\n'
            '"time.sleep" = false\n',
            "app/module.py": CODE,
        },
    )
    config = load_config(tmp_path / "pyproject.toml", known_rules=known_rule_options())
    result = run_audit([tmp_path], config.with_overrides(use_cache=False, select=("RS401",)))
    assert [(f.line, f.symbol, f.fix) for f in result.findings] == [
        (6, "mylib.slow_call", "Use `await mylib.fast()`")
    ]


def test_defaults_apply_without_configuration(tmp_path: Path) -> None:
    """Without a blocking table `time.sleep` is reported and an unknown library call is not."""
    write_tree(tmp_path, CODE)
    result = run_audit([tmp_path], AuditConfig(use_cache=False, select=("RS401",)))
    assert [(f.line, f.symbol) for f in result.findings] == [(5, "time.sleep")]


@pytest.mark.parametrize(
    ("table", "setting"),
    [
        ('[tool.rescope]\nblocking = ["time.sleep"]\n', "tool.rescope.blocking"),
        ('[tool.rescope.blocking]\n"time.sleep" = 3\n', "tool.rescope.blocking.time.sleep"),
        ('[tool.rescope.blocking]\n"x" = true\n', "tool.rescope.blocking.x"),
    ],
)
def test_invalid_blocking_table_is_a_configuration_error(
    tmp_path: Path, table: str, setting: str
) -> None:
    """A blocking table that is not pattern = suggestion (or false) names the setting."""
    (tmp_path / "pyproject.toml").write_text(table, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_config(tmp_path / "pyproject.toml", known_rules=known_rule_options())
    assert caught.value.setting == setting


def test_invalid_blocking_table_exits_2_from_the_command(tmp_path: Path) -> None:
    """The command reports a bad blocking table as a usage error (exit 2), not a traceback."""
    write_tree(tmp_path, {"pyproject.toml": '[tool.rescope.blocking]\n"a" = 1\n', "a.py": ""})
    done = run_cli(str(tmp_path), "--no-cache")
    assert done.returncode == 2
    assert "blocking" in done.stderr
    assert "Traceback" not in done.stderr


def test_only_selected_hazard_rule_still_gets_its_scan(tmp_path: Path) -> None:
    """Selecting one hazard rule alone runs the shared scan for it (here RS503)."""
    write_tree(tmp_path, "import subprocess\n\ndef f():\n    subprocess.run(['ls'])\n")
    result = run_audit([tmp_path], AuditConfig(use_cache=False, select=("RS503",)))
    assert [(f.rule, f.line) for f in result.findings] == [("RS503", 4)]


def test_cached_run_reports_the_same_hazards(tmp_path: Path) -> None:
    """A second run served from the facts cache finds the same hazards as the cold run."""
    write_tree(tmp_path, CODE + "\ndef g():\n    import asyncio\n    asyncio.create_task(g())\n")
    config = AuditConfig(cache_dir=tmp_path / "cache", select=("RS4",))
    cold = run_audit([tmp_path], config)
    warm = run_audit([tmp_path], config)
    assert warm.cached_files == cold.files
    assert [(f.rule, f.line) for f in warm.findings] == [(f.rule, f.line) for f in cold.findings]
    assert {f.rule for f in cold.findings} == {"RS401", "RS402"}


def test_unimported_service_modules_option(tmp_path: Path) -> None:
    """RS602 reports an unimported service module without a duplicate only with `all`."""
    write_tree(
        tmp_path,
        {
            "app/mail.py": "class MailService:\n    def send(self): ...\n\n_svc = None\n\n"
            "def get_svc():\n    global _svc\n    if _svc is None:\n        _svc = MailService()\n"
            "    return _svc\n",
            "app/main.py": "x = 1\n",
        },
    )
    quiet = run_audit([tmp_path], AuditConfig(use_cache=False, select=("RS602",)))
    assert quiet.findings == []
    loud = run_audit(
        [tmp_path],
        AuditConfig(
            use_cache=False,
            select=("RS602",),
            rule_options={"RS602": {"unimported-modules": "all"}},
        ),
    )
    assert [(f.path, f.line, f.symbol) for f in loud.findings] == [("app/mail.py", 1, "app.mail")]
