"""RS503: a subprocess run or awaited without a timeout."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs4_hazard_names import ChainResolver, hazard_modules
from rescope.audit.rules._rs4_hazard_scan import collect_hazards

__all__ = ["SubprocessWithoutTimeout"]

_RUNS = frozenset(
    {"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output"}
)
_SPAWNS = frozenset({"asyncio.create_subprocess_exec", "asyncio.create_subprocess_shell"})


class SubprocessWithoutTimeout(Rule):
    """A subprocess run (``subprocess.run``, ``communicate()``, asyncio's) with no timeout.

    What it does:
        Finds ``subprocess.run``/``call``/``check_call``/``check_output`` without
        ``timeout=``, ``Popen(...).communicate()``/``.wait()`` without a timeout, and
        ``asyncio.create_subprocess_exec``/``_shell`` in a function that never bounds the
        wait (no ``asyncio.wait_for``, ``asyncio.timeout``, ``anyio.fail_after`` ...).
        A call passing ``**kwargs`` is given the benefit of the doubt.

    Why is this bad?
        A stuck ffmpeg (a corrupt upload, a full disk, a prompt on stdin) never returns: the
        worker thread or request hangs for ever and, under retries, the workers run out
        one by one.

    Example:
        subprocess.run([ffmpeg, "-i", source, target], check=True)

    Use instead:
        subprocess.run([ffmpeg, "-i", source, target], check=True, timeout=120)
        # async code: rescope.resources' safe subprocess kills the process on timeout
    """

    code = "RS503"
    name = "subprocess-without-timeout"
    severity = Severity.MEDIUM
    message = "`{call}()` in `{function}` waits for a subprocess with no timeout"
    fix_title = "{fix}"
    collect = collect_hazards
    VALID: ClassVar[list[Example]] = [
        (
            "import subprocess\n\ndef run(cmd):\n    proc = subprocess.Popen(cmd)\n    try:\n"
            "        return proc.communicate(timeout=5)\n    except subprocess.TimeoutExpired:\n"
            "        proc.kill()\n        return proc.communicate()\n"
        ),
        (
            "import subprocess\n\ndef probe(path):\n"
            "    return subprocess.run(['ffprobe', path], capture_output=True, timeout=10)\n"
        ),
        (
            "import asyncio\n\nasync def convert(path):\n"
            "    proc = await asyncio.create_subprocess_exec('ffmpeg', '-i', path)\n"
            "    await asyncio.wait_for(proc.communicate(), timeout=60)\n"
        ),
        (
            "import subprocess\n\ndef run(cmd, **options):\n"
            "    return subprocess.run(cmd, **options)\n"
        ),
        "class App:\n    def run(self):\n        ...\n\ndef main(app):\n    app.run()\n",
    ]
    INVALID: ClassVar[list[Example]] = [
        (
            "import subprocess\n\ndef normalize(src, dst):\n"
            "    subprocess.run(['ffmpeg', '-i', src, dst], check=True)\n"
        ),
        (
            "import subprocess\n\ndef encode(cmd):\n    proc = subprocess.Popen(cmd)\n"
            "    out, err = proc.communicate()\n    return out\n"
        ),
        (
            "import asyncio\n\nasync def convert(path):\n"
            "    proc = await asyncio.create_subprocess_exec('ffmpeg', '-i', path)\n"
            "    await proc.wait()\n"
        ),
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per subprocess wait without a timeout."""
        resolver = ChainResolver(ctx)
        for facts, hazards in hazard_modules(ctx, self.code):
            for site in hazards.subprocesses:
                qualified = resolver.resolve(facts, site.name)
                if site.tag == "run" and qualified in _RUNS:
                    fix = f"Pass `timeout=` to `{site.name}()` and handle `TimeoutExpired`"
                elif site.tag == "communicate" and qualified.startswith("subprocess.Popen()"):
                    fix = "Pass `timeout=` and kill the process on `TimeoutExpired`"
                elif site.tag == "spawn" and qualified in _SPAWNS:
                    fix = (
                        "Wrap the wait in `asyncio.wait_for(proc.communicate(), timeout)` and "
                        "kill the process on timeout (rescope.resources' safe subprocess does)"
                    )
                else:
                    continue
                yield self.finding(
                    facts.path,
                    site.line,
                    f"{site.function}:{site.name}",
                    call=site.name,
                    function=site.function,
                    fix=fix,
                )
