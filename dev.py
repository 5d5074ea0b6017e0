#!/usr/bin/env python3
"""Set up and run rescope from a fresh checkout with nothing but Python 3.11+.

    python3 dev.py audit [PATH ...] [OPTIONS]   run `rescope audit` (default: the bundled example)
    python3 dev.py migrate [ARGS ...]           run `rescope migrate`
    python3 dev.py test [PYTEST ARGS ...]       ruff, mypy, the docs check and the test suite
    python3 dev.py bench [TOPIC ...]            run the benchmarks and print their tables
    python3 dev.py shell CMD ...                run CMD inside the project's virtual environment

On first use (and whenever pyproject.toml changes) it creates `.venv/` and installs rescope
with every extra plus the `dev` dependency group into it.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
STAMP = VENV / ".rescope-installed"
BUNDLED_EXAMPLE = ROOT / "examples" / "legacy_app"
MIN_PYTHON = (3, 11)


def _say(message: str) -> None:
    print(f"dev.py: {message}", file=sys.stderr, flush=True)


def _requirements_digest() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def _dev_group() -> list[str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(data["dependency-groups"]["dev"])


def ensure_venv() -> None:
    """Create `.venv` and install the project into it when missing or out of date."""
    digest = _requirements_digest()
    if STAMP.exists() and STAMP.read_text(encoding="utf-8") == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        _say(f"creating {VENV.relative_to(ROOT)}/ (first run only)")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    _say("installing rescope[all] and the dev group (first run, or pyproject.toml changed)")
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[all]", *_dev_group()], check=True)
    STAMP.write_text(digest, encoding="utf-8")


def _run(argv: list[str]) -> int:
    return subprocess.run(argv, cwd=ROOT, check=False).returncode


def cmd_audit(args: list[str]) -> int:
    """Run `rescope audit`, on the bundled legacy example when no path is given."""
    paths = [a for a in args if not a.startswith("-")]
    if paths:
        return _run([str(BIN / "rescope"), "audit", *args])
    code = _run([str(BIN / "rescope"), "audit", str(BUNDLED_EXAMPLE.relative_to(ROOT)), *args])
    if code == 1:
        # Findings are the point of the demo; exit 1 is for CI gates on real code.
        _say("the bundled example is full of singletons on purpose: findings above are expected")
        return 0
    return code


def cmd_migrate(args: list[str]) -> int:
    """Run `rescope migrate` with the given arguments."""
    return _run([str(BIN / "rescope"), "migrate", *args])


def cmd_test(args: list[str]) -> int:
    """Lint, type-check, check generated docs, then run the whole test suite."""
    steps: list[tuple[str, list[str]]] = [
        ("ruff check", [str(BIN / "ruff"), "check", "."]),
        ("ruff format --check", [str(BIN / "ruff"), "format", "--check", "."]),
        ("mypy", [str(BIN / "mypy")]),
    ]
    for name, argv in steps:
        _say(name)
        if (code := _run(argv)) != 0:
            _say(f"{name} failed (exit {code})")
            return code
    _say("pytest")
    code = _run([str(PYTHON), "-m", "pytest", *args])
    if code == 5:  # noqa: PLR2004 - pytest's "no tests collected"
        _say("pytest collected no tests: that is a failure here")
        return 1
    return code


def cmd_bench(args: list[str]) -> int:
    """Run the benchmark suite (see benchmarks/README.md)."""
    return _run([str(PYTHON), "-m", "benchmarks", *args])


def cmd_shell(args: list[str]) -> int:
    """Run a command with the virtual environment's bin directory first on PATH."""
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    env["VIRTUAL_ENV"] = str(VENV)
    return subprocess.run(args, cwd=ROOT, env=env, check=False).returncode


COMMANDS = {
    "audit": cmd_audit,
    "migrate": cmd_migrate,
    "test": cmd_test,
    "bench": cmd_bench,
    "shell": cmd_shell,
}


def main(argv: list[str]) -> int:
    """Dispatch `python3 dev.py COMMAND ...`."""
    if sys.version_info < MIN_PYTHON:
        _say(f"Python {'.'.join(map(str, MIN_PYTHON))}+ is needed, not {sys.version.split()[0]}")
        return 2
    if not argv or argv[0] in {"-h", "--help", "help"} or argv[0] not in COMMANDS:
        print(__doc__)
        return 0 if argv and argv[0] in {"-h", "--help", "help"} else 2
    ensure_venv()
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
