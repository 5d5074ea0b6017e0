"""RS401: a blocking call inside ``async def``."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import ClassVar

from rescope.audit._model import Finding, Severity
from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs4_hazard_names import ChainResolver, PatternSet, hazard_modules
from rescope.audit.rules._rs4_hazard_scan import collect_hazards

__all__ = ["DEFAULT_BLOCKING", "BlockingCallInAsync", "blocking_patterns"]

_HTTP = "an async HTTP client (`httpx.AsyncClient`), or `await rescope.resources.run_blocking(...)`"
_PROCESS = "`asyncio.create_subprocess_exec` with a timeout (rescope.resources' safe subprocess)"
_CPU = "`await rescope.resources.run_cpu_bound(...)` for the image work"
_DB = "an `AsyncSession`, or run the unit of work with `await rescope.resources.run_blocking(...)`"
_FILE = "`await rescope.resources.run_blocking(path.read_bytes)` (or anyio.Path)"
_SOCKET = "asyncio streams (`asyncio.open_connection`) or `loop.getaddrinfo`"
_HTTP_VERBS = "{get,post,put,patch,delete,head,options,request}"
_IMAGE_METHODS = (
    "{resize,save,convert,thumbnail,rotate,transpose,transform,filter,crop,paste,load,"
    "quantize,reduce,tobytes,verify,show}"
)

#: The blocking calls RS401 knows, as name pattern -> what to use instead. ``*`` matches any
#: run of characters, ``{a,b}`` one of the alternatives, ``()`` a call in the chain.
#: ``[tool.rescope.blocking]`` adds patterns, overrides a suggestion, or (``= false``) drops one.
DEFAULT_BLOCKING: dict[str, str] = {
    "time.sleep": "`await asyncio.sleep(...)`",
    f"requests.{_HTTP_VERBS}": _HTTP,
    f"requests.{{Session,session}}().{{send,{_HTTP_VERBS[1:]}": _HTTP,
    "urllib.request.{urlopen,urlretrieve}": _HTTP,
    "subprocess.{run,call,check_call,check_output}": _PROCESS,
    "subprocess.Popen().{communicate,wait}": _PROCESS,
    "os.{system,popen}": _PROCESS,
    "PIL.Image.{open,new,frombytes,fromarray}": _CPU,
    f"PIL.Image.*.{_IMAGE_METHODS}": _CPU,
    "PIL.ImageOps.*": _CPU,
    "rembg.remove": "`await rescope.resources.run_cpu_bound(rembg.remove, data)`",
    "sqlalchemy.orm.*.{execute,commit,query,scalar,scalars,get,flush,refresh,rollback,merge}": _DB,
    "sqlalchemy.{create_engine,engine.create_engine}().*": _DB,
    "open().{read,readline,readlines}": _FILE,
    "pathlib.Path().{read_text,read_bytes}": _FILE,
    "socket.{create_connection,getaddrinfo,gethostbyname,gethostbyaddr,getfqdn}": _SOCKET,
    "socket.socket().{connect,accept,recv,recv_into,recvfrom,send,sendall,sendto}": _SOCKET,
}


def blocking_patterns(configured: Mapping[str, object]) -> PatternSet:
    """The defaults updated with ``[tool.rescope.blocking]`` (``false`` removes a pattern)."""
    table: dict[str, str] = dict(DEFAULT_BLOCKING)
    for pattern, suggestion in configured.items():
        if suggestion is False:
            table.pop(pattern, None)
        else:
            table[pattern] = str(suggestion)
    return PatternSet(table.items())


class BlockingCallInAsync(Rule):
    """A blocking call (sleep, sync HTTP, subprocess, image work, sync DB, file) in ``async def``.

    What it does:
        Finds calls in the body of an ``async def`` that block the thread: ``time.sleep``,
        ``requests``, ``urllib.request``, ``subprocess.run``/``call``/``check_output``,
        ``os.system``, PIL image work (``Image.open``, ``resize``, ``save`` ...),
        ``rembg.remove``, sync SQLAlchemy ``Session`` calls, ``open(...).read()`` and socket
        calls. Names are resolved through imports and aliases (``from PIL import Image as
        I; I.open()`` counts, a project function called ``open`` does not), and locals are
        followed to the call that made them (``image = Image.open(p); image.resize(s)``).
        Calls handed to ``run_in_executor``, ``asyncio.to_thread``,
        ``anyio.to_thread.run_sync``, ``run_in_threadpool`` or rescope's offload helpers
        (``run_blocking``, ``run_cpu_bound``, ``offload_*``), and the bodies of nested
        ``def``/``lambda`` passed to them, are not findings. The list is configurable in
        ``[tool.rescope.blocking]`` (pattern = suggestion; ``false`` drops a default).

    Why is this bad?
        While the call runs, the event loop runs nothing else: every other request,
        websocket and background task of the process waits. One ``Image.open`` on a large
        upload stalls all users for its duration.

    Example:
        async def create_thumbnail(data: bytes) -> bytes:
            image = Image.open(io.BytesIO(data))
            image = image.resize((320, 180))
            ...

    Use instead:
        async def create_thumbnail(data: bytes) -> bytes:
            return await run_cpu_bound(make_thumbnail, data)  # rescope.resources
    """

    code = "RS401"
    name = "blocking-call-in-async"
    severity = Severity.HIGH
    message = "`{call}` blocks the event loop inside `async def {function}`"
    fix_title = "Use {suggestion}"
    OPTIONS: ClassVar[dict[str, object]] = {"blocking": {}}
    collect = collect_hazards
    VALID: ClassVar[list[Example]] = [
        (
            "import socket\n\nasync def connect(path):\n"
            "    sock = socket.socket(socket.AF_UNIX)\n    sock.setblocking(False)\n"
            "    sock.connect(path)\n\nasync def resolve(host):\n    if True:\n"
            "        return host\n    else:\n        return socket.getaddrinfo(host, 80)\n"
        ),
        (
            "import asyncio\nimport time\n\nasync def wait():\n    await asyncio.sleep(1)\n\n"
            "def sync_wait():\n    time.sleep(1)\n"
        ),
        (
            "import asyncio\nimport time\nimport anyio\nfrom PIL import Image\n"
            "from starlette.concurrency import run_in_threadpool\n\n"
            "async def offloaded(data):\n"
            "    loop = asyncio.get_running_loop()\n"
            "    await loop.run_in_executor(None, lambda: time.sleep(1))\n"
            "    await asyncio.to_thread(time.sleep, 1)\n"
            "    await anyio.to_thread.run_sync(lambda: Image.open(data).resize((1, 1)))\n"
            "    def work():\n        return Image.open(data).save('x.png')\n"
            "    await run_in_threadpool(work)\n"
        ),
        (
            "from rescope.resources import run_blocking, run_cpu_bound\nimport requests\n\n"
            "async def fetch(url):\n"
            "    return await run_blocking(lambda: requests.get(url))\n\n"
            "async def thumb(data):\n"
            "    def make():\n        from PIL import Image\n        return Image.open(data)\n"
            "    return await run_cpu_bound(make)\n"
        ),
        (
            "def open(path):\n    return path\n\n"
            "async def handler(path):\n    return open(path).read()\n"
        ),
        (
            "async def handler(client, image):\n"
            "    data = await client.get('/x')\n    image.save('out.png')\n    return data\n"
        ),
    ]
    INVALID: ClassVar[list[Example]] = [
        "import time\n\nasync def handler():\n    time.sleep(1)\n",
        (
            "from PIL import Image as I\nimport io\n\nasync def thumb(data):\n"
            "    image = I.open(io.BytesIO(data))\n    image = image.resize((10, 10))\n"
            "    image.save('x.png')\n"
        ),
        (
            "import subprocess\n\nasync def convert(path):\n"
            "    subprocess.run(['ffmpeg', '-i', path], timeout=60)\n"
            "    return open(path, 'rb').read()\n"
        ),
        {
            "app/db.py": "from sqlalchemy import create_engine\n"
            "from sqlalchemy.orm import sessionmaker\n\n"
            "engine = create_engine('sqlite://')\nSessionLocal = sessionmaker(bind=engine)\n",
            "app/routes.py": "from app.db import SessionLocal\n\nasync def count():\n"
            "    with SessionLocal() as db:\n        return db.execute('select 1')\n",
        },
    ]

    def check(self, ctx: Context) -> Iterator[Finding]:
        """Yield one finding per line of an async function that calls a blocking name."""
        configured = self.options.get("blocking", {})
        patterns = blocking_patterns(configured if isinstance(configured, Mapping) else {})
        resolver = ChainResolver(ctx)
        for facts, hazards in hazard_modules(ctx, self.code):
            seen: set[int] = set()
            for site in hazards.blocking:
                if site.line in seen:
                    continue
                qualified = resolver.resolve(facts, site.name)
                matched = patterns.match(qualified)
                if matched is None:
                    continue
                seen.add(site.line)
                yield self.finding(
                    facts.path,
                    site.line,
                    site.name,
                    call=site.name.replace("()", "(...)") + "()",
                    function=site.function,
                    suggestion=matched[1],
                )
