"""RS501 follows `os.path.dirname(p)` and `Path(p).parent` to the temp directory they remove."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from rescope.audit import AuditConfig, run_audit
from rescope.audit.rules._rs4_hazard_ast import dir_of, parent_of
from tests.audit._helpers import write_tree

_HEAD = "import os\nimport shutil\nimport tempfile\nfrom pathlib import Path\n\n"
_TAIL = "\n\ndef work(p):\n    ...\n"


def _rs501_lines(tmp_path: Path, body: str) -> list[int]:
    """The lines of RS501 findings in ``def f(data):`` with ``body``."""
    write_tree(tmp_path, f"{_HEAD}def f(data):\n{body}{_TAIL}")
    result = run_audit([tmp_path], AuditConfig(use_cache=False, select=("RS501",)))
    return [f.line for f in result.findings]


CLEANED = [
    pytest.param(
        "    path = os.path.join(tempfile.mkdtemp(), 'out.wav')\n    try:\n        work(path)\n"
        "    finally:\n        shutil.rmtree(os.path.dirname(path))\n",
        id="inline-dir-joined-then-dirname",
    ),
    pytest.param(
        "    workdir = tempfile.mkdtemp()\n    target = os.path.join(workdir, 'out.wav')\n"
        "    try:\n        work(target)\n    finally:\n"
        "        shutil.rmtree(os.path.dirname(target))\n",
        id="named-dir-joined-then-dirname",
    ),
    pytest.param(
        "    workdir = tempfile.mkdtemp()\n    try:\n"
        "        target = os.path.join(workdir, 'out.wav')\n        work(target)\n"
        "    finally:\n        shutil.rmtree(os.path.dirname(target))\n",
        id="joined-inside-the-try",
    ),
    pytest.param(
        "    target = Path(tempfile.mkdtemp()) / 'out.wav'\n    try:\n        work(target)\n"
        "    finally:\n        shutil.rmtree(target.parent)\n",
        id="path-slash-then-parent",
    ),
    pytest.param(
        "    target = Path(tempfile.mkdtemp(), 'x.txt')\n    try:\n"
        "        target.write_bytes(data)\n    finally:\n        target.unlink()\n"
        "        target.parent.rmdir()\n",
        id="path-two-args-then-parent-rmdir",
    ),
    pytest.param(
        "    fd, path = tempfile.mkstemp(dir=tempfile.mkdtemp())\n    try:\n"
        "        os.close(fd)\n        work(path)\n    finally:\n        os.remove(path)\n"
        "        os.rmdir(os.path.dirname(path))\n",
        id="mkstemp-in-mkdtemp-remove-both",
    ),
    pytest.param(
        "    d = tempfile.mkdtemp()\n    path = tempfile.mkstemp(dir=d)[1]\n    try:\n"
        "        work(path)\n    finally:\n        shutil.rmtree(os.path.dirname(str(path)))\n",
        id="mkstemp-dir-variable",
    ),
    pytest.param(
        "    d = Path(tempfile.mkdtemp())\n    try:\n        work(d)\n    finally:\n"
        "        shutil.rmtree(d)\n",
        id="wrapped-in-path",
    ),
    pytest.param(
        "    import contextlib\n    with contextlib.ExitStack() as stack:\n"
        "        path = os.path.join(tempfile.mkdtemp(), 'x')\n"
        "        stack.callback(shutil.rmtree, os.path.dirname(path))\n        work(path)\n",
        id="registered-dirname",
    ),
]


@pytest.mark.parametrize("body", CLEANED)
def test_removing_the_parent_directory_cleans_up(tmp_path: Path, body: str) -> None:
    """A temp directory removed through the parent of a path made in it is not reported."""
    assert _rs501_lines(tmp_path, body) == []


LEAKED = [
    pytest.param(
        "    path = os.path.join(tempfile.mkdtemp(), 'out.wav')\n    try:\n        work(path)\n"
        "    finally:\n        os.remove(path)\n",
        id="only-the-file-removed",
    ),
    pytest.param(
        "    workdir = tempfile.mkdtemp()\n    target = os.path.join(workdir, 'out.wav')\n"
        "    work(target)\n    shutil.rmtree(os.path.dirname(target))\n",
        id="dirname-removed-outside-finally",
    ),
    pytest.param(
        "    workdir = tempfile.mkdtemp()\n    target = os.path.join(workdir, 'sub/out.wav')\n"
        "    try:\n        work(target)\n    finally:\n"
        "        shutil.rmtree(os.path.dirname(target))\n",
        id="name-with-a-slash-is-a-level-deeper",
    ),
    pytest.param(
        "    workdir = tempfile.mkdtemp()\n    target = os.path.join(workdir, 'a', 'b')\n"
        "    try:\n        work(target)\n    finally:\n"
        "        shutil.rmtree(os.path.dirname(target))\n",
        id="two-levels-joined",
    ),
    pytest.param(
        "    target = Path(tempfile.mkdtemp()) / 'a' / 'b'\n    try:\n        work(target)\n"
        "    finally:\n        shutil.rmtree(target.parent)\n",
        id="two-levels-slashed",
    ),
    pytest.param(
        "    workdir = tempfile.mkdtemp()\n    target = os.path.join(workdir, 'x')\n"
        "    target = data\n    try:\n        work(target)\n    finally:\n"
        "        shutil.rmtree(os.path.dirname(target))\n",
        id="rebound-to-another-path",
    ),
]


@pytest.mark.parametrize("body", LEAKED)
def test_parent_that_is_not_the_temp_directory_still_leaks(tmp_path: Path, body: str) -> None:
    """Removing a file, a deeper directory, or outside `finally` still reports the directory."""
    assert _rs501_lines(tmp_path, body) == [7]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("os.path.dirname(p)", "p"),
        ("posixpath.dirname(str(p))", "p"),
        ("Path(p).parent", "p"),
        ("p.parent", "p"),
        ("os.path.dirname(p.name)", ""),
        ("p.parent.parent", ""),
        ("os.path.basename(p)", ""),
    ],
)
def test_parent_of(source: str, expected: str) -> None:
    """`parent_of` names the path whose directory an expression is, and nothing else."""
    assert parent_of(ast.parse(source, mode="eval").body) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("os.path.join(d, 'x')", "d"),
        ("Path(d) / 'x'", "d"),
        ("Path(d, 'x')", "d"),
        ("Path(d).joinpath('x')", "d"),
        ("str(Path(d) / 'x')", "d"),
        ("tempfile.mkstemp(dir=d)[1]", "d"),
        ("os.path.join(tempfile.mkdtemp(), 'x')", "tempfile.mkdtemp()"),
        ("os.path.join(d, 'a/b')", None),
        ("os.path.join(d, 'a', 'b')", None),
        ("Path(d) / 'a' / 'b'", None),
        ("', '.join(parts)", None),
        ("open(d, dir=x)", None),
    ],
)
def test_dir_of(source: str, expected: str | None) -> None:
    """`dir_of` gives the directory a path is made directly inside, as written."""
    found = dir_of(ast.parse(source, mode="eval").body)
    assert (None if found is None else ast.unparse(found)) == expected


def test_one_name_unpacked_from_a_path_call_is_not_a_crash(tmp_path: Path) -> None:
    """Unpacking a path into one name (`(p,) = ...`) is scanned without error, and leaks."""
    body = "    (p,) = Path(tempfile.mkdtemp()) / 'x'\n    work(p)\n"
    assert _rs501_lines(tmp_path, body) == [7]
