"""The parsing pool from the caller's side: a script without a main guard still gets a result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.audit._helpers import write_tree

GETTER = (
    "class Svc{n}:\n    def run(self): ...\n\n_svc = None\n\n"
    "def get_svc():\n    global _svc\n    if _svc is None:\n"
    "        _svc = Svc{n}()\n    return _svc\n"
)


def test_a_script_without_main_guard_falls_back_to_parsing_in_process(tmp_path: Path) -> None:
    """When the pool's workers cannot start, every file is still parsed and reported."""
    write_tree(tmp_path / "tree", {f"app/m{n}.py": GETTER.format(n=n) for n in range(120)})
    script = tmp_path / "audit_it.py"
    script.write_text(
        "from pathlib import Path\nfrom rescope.audit import AuditConfig, run_audit\n"
        f"r = run_audit([Path({str(tmp_path / 'tree')!r})], AuditConfig(use_cache=False, jobs=2))\n"
        "print(r.files, len([f for f in r.findings if f.rule == 'RS101']))\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["120", "120"]
