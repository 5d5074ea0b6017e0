"""RS501: a temp file or directory whose removal is not guaranteed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs4_hazard_names import ChainResolver, hazard_modules
from rescope.audit.rules._rs4_hazard_scan import collect_hazards

__all__ = ["TempFileLeak"]

_TEMP = frozenset(
    {
        "tempfile.mkstemp",
        "tempfile.mkdtemp",
        "tempfile.NamedTemporaryFile",
        "tempfile.TemporaryDirectory",
    }
)


class TempFileLeak(Rule):
    """A temp file made with ``delete=False``/``mkstemp``/``mkdtemp`` that may never be removed.

    What it does:
        Finds ``tempfile.NamedTemporaryFile(delete=False)``, ``TemporaryDirectory(delete=False)``,
        ``tempfile.mkstemp()`` and ``tempfile.mkdtemp()`` whose path is not removed in a
        ``finally`` block (``os.unlink``, ``os.remove``, ``shutil.rmtree``, ``Path.unlink``),
        not registered for cleanup (``ExitStack.callback``, ``addCleanup``, ``atexit``,
        ``weakref.finalize``) and not returned to the caller, who then owns it. A temp
        directory also counts as removed when the directory of a path made directly in it is
        (``shutil.rmtree(os.path.dirname(path))`` or ``path.parent`` after
        ``path = os.path.join(workdir, name)``, ``Path(workdir) / name`` or
        ``mkstemp(dir=workdir)``).

    Why is this bad?
        Any exception between creation and the ``os.unlink`` at the end (ffmpeg failing, a
        client disconnecting) leaves the file behind. On a busy server the temp directory
        fills up and the disk runs out.

    Example:
        fd, target = tempfile.mkstemp(suffix=".wav")
        subprocess.run([ffmpeg, "-i", source, target], check=True)
        data = Path(target).read_bytes()
        os.unlink(target)

    Use instead:
        with temp_path(suffix=".wav") as target:  # rescope.resources: removed on every path
            await run_process([ffmpeg, "-i", source, target], timeout=60)
            data = target.read_bytes()
    """

    code = "RS501"
    name = "temp-file-leak"
    severity = Severity.MEDIUM
    message = "`{call}()` in `{function}` creates a temp path that is not removed on every path"
    fix_title = (
        "Remove it in a `finally` block, or use a context manager that does "
        "(`tempfile.TemporaryDirectory()`, rescope.resources' temp files)"
    )
    collect = collect_hazards
    VALID: ClassVar[list[Example]] = [
        (
            "import os\nimport tempfile\n\ndef write_atomic(path, data):\n"
            "    fd, tmp = tempfile.mkstemp(dir='.')\n    try:\n"
            "        with os.fdopen(fd, 'wb') as fh:\n            fh.write(data)\n"
            "        os.replace(tmp, path)\n    except BaseException:\n"
            "        os.unlink(tmp)\n        raise\n"
        ),
        (
            "import tempfile\nfrom pathlib import Path\n\nclass TempDir:\n"
            "    def __init__(self):\n        self._paths = []\n\n    def create(self):\n"
            "        self._paths.append(Path(tempfile.mkdtemp()))\n"
        ),
        (
            "import os\nimport tempfile\n\ndef preview(data):\n"
            "    fd, path = tempfile.mkstemp(suffix='.jpg')\n    try:\n        os.close(fd)\n"
            "        return path\n    finally:\n        os.unlink(path)\n"
        ),
        (
            "import shutil\nimport tempfile\n\ndef work():\n    d = tempfile.mkdtemp()\n"
            "    try:\n        return d\n    finally:\n        shutil.rmtree(d)\n"
        ),
        (
            "import tempfile\n\ndef make_scratch_dir():\n    path = tempfile.mkdtemp()\n"
            "    return path\n"
        ),
        (
            "import tempfile\n\ndef write(data):\n"
            "    with tempfile.NamedTemporaryFile() as f:\n        f.write(data)\n"
        ),
        (  # the directory goes with the file: removed through `os.path.dirname(path)`
            "import os\nimport shutil\nimport tempfile\n\ndef transcode(data):\n"
            "    fd, path = tempfile.mkstemp(suffix='.wav', dir=tempfile.mkdtemp())\n"
            "    try:\n        os.write(fd, data)\n        convert(path)\n    finally:\n"
            "        os.close(fd)\n        shutil.rmtree(os.path.dirname(path))\n\n"
            "def convert(path):\n    ...\n"
        ),
        (  # the same through a variable and `Path(...).parent`
            "import shutil\nimport tempfile\nfrom pathlib import Path\n\ndef render(data):\n"
            "    workdir = tempfile.mkdtemp()\n    target = Path(workdir) / 'out.png'\n"
            "    try:\n        target.write_bytes(data)\n    finally:\n"
            "        shutil.rmtree(Path(target).parent)\n"
        ),
        (
            "import contextlib, os, tempfile\n\ndef use():\n"
            "    with contextlib.ExitStack() as stack:\n        fd, path = tempfile.mkstemp()\n"
            "        stack.callback(os.unlink, path)\n        os.close(fd)\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "import os\nimport tempfile\n\nasync def normalize(data):\n"
            "    source = tempfile.NamedTemporaryFile(suffix='.wav', delete=False)\n"
            "    source.write(data)\n    source.close()\n    convert(source.name)\n"
            "    os.unlink(source.name)\n\ndef convert(name):\n    ...\n"
        ),
        (
            "import os\nimport tempfile\n\ndef render():\n    fd, target = tempfile.mkstemp()\n"
            "    os.close(fd)\n    return open(target).read()\n"
        ),
        (
            "import shutil\nimport tempfile\n\ndef copy(src):\n"
            "    shutil.copy(src, tempfile.mkdtemp())\n"
        ),
        (  # the file is removed, the directory it was made in is left behind
            "import os\nimport tempfile\n\ndef transcode(data):\n"
            "    path = os.path.join(tempfile.mkdtemp(), 'out.wav')\n    try:\n"
            "        convert(path, data)\n    finally:\n        os.remove(path)\n\n"
            "def convert(path, data):\n    ...\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per temp path without guaranteed removal."""
        resolver = ChainResolver(ctx)
        for facts, hazards in hazard_modules(ctx, self.code):
            for res in hazards.resources:
                if res.kind != "temp":
                    continue
                qualified = resolver.resolve(facts, res.name)
                if qualified not in _TEMP:
                    continue
                last = qualified.rpartition(".")[2]
                yield self.finding(
                    facts.path,
                    res.line,
                    f"{res.function}:{last}",
                    call=res.name,
                    function=res.function,
                )
