"""One pass over a module's functions gathering what the hazard rules (RS401-RS503) read.

Runs in the parsing processes as the rules' ``collect`` hook, so its result is small, plain
and picklable: names *as written* (a local bound to a call is replaced by that call, so
``image = Image.open(p); image.resize(s)`` records ``Image.open().resize``) and line
numbers. The rules resolve the names through the project index. Every hazard rule asks for
the same scan; it runs once per tree whichever of them are selected.
"""

from __future__ import annotations

import ast
import re

from rescope.audit._scan import child_fields, dotted
from rescope.audit.rules._rs4_hazard_ast import (
    BUILTINS,
    TEMP_NAMES,
    calls_in,
    dir_of,
    handed_back,
    has_timeout,
    is_entry,
    is_main_guard,
    is_temp,
    last_part,
    makes_path,
    names,
    path_of,
    removed_names,
    straight,
)
from rescope.audit.rules._rs4_hazard_facts import Adapter, Resource, Site

__all__ = ["collect_hazards"]

# The rules run on any tree only when its source mentions one of these.
_MARKERS = (
    "async ",
    "create_task",
    "ensure_future",
    "run_until_complete",
    "asyncio",
    "sleep",
    "tempfile",
    "mkstemp",
    "mkdtemp",
    "subprocess",
    "Session",
    "session",
    "connect(",
    "get_db",
)
_OFFLOAD = frozenset(
    {
        "run_in_executor",
        "to_thread",
        "run_sync",
        "run_in_threadpool",
        "run_blocking",
        "run_cpu_bound",
        "asyncify",
        "sync_to_async",
    }
)
_TIMEOUTS = frozenset(
    {"wait_for", "timeout", "timeout_at", "fail_after", "fail_at", "move_on_after", "move_on_at"}
)
_SUBPROCESS_RUNS = frozenset({"run", "call", "check_call", "check_output"})
_REMOVERS = frozenset(
    {"unlink", "remove", "rmtree", "rmdir", "removedirs", "cleanup", "unlink_missing"}
)
_CLOSERS = frozenset({"close", "aclose"})
_REGISTRARS = frozenset(
    {"callback", "push_async_callback", "addCleanup", "register", "finalize", "enter_context"}
)
_STORES = frozenset({"append", "add", "extend", "insert", "appendleft", "put", "put_nowait"})
_MOVERS = frozenset({"replace", "rename", "move", "renames"})
_KILLERS = frozenset({"kill", "terminate", "killpg", "send_signal"})
# Readiness probes of a process, socket or file (nothing could notify, polling is the way),
# and the stop flags of periodic jobs: neither is a status the loop waits on.
_PROBE = re.compile(
    r"(poll|connect|accept|ping|alive|exists|started|listening|health"
    r"|is_set|closing|closed|running|stopped)[^.]*$"
)
_QUIET_HEADS = frozenset({"logger", "log", "logging", "print", "warnings"})
_EXPR_STMT, _ASSIGN, _ANN_ASSIGN, _IF = ast.Expr, ast.Assign, ast.AnnAssign, ast.If
_DEF, _ASYNC_DEF, _CLASS = ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef
_CALL, _ATTRIBUTE, _NAME, _CONSTANT = ast.Call, ast.Attribute, ast.Name, ast.Constant


def is_offload(name: str) -> bool:
    """Whether a call named ``name`` runs its callable argument off the event loop."""
    last = name.rpartition(".")[2]
    return last in _OFFLOAD or last.startswith("offload_")


class _Fn:
    """The state of one function being scanned."""

    __slots__ = (
        "blocking",
        "cleaned",
        "consumed",
        "creations",
        "entry",
        "has_timeout",
        "in_async",
        "is_async",
        "kills",
        "loop_checked",
        "nonblocking",
        "origins",
        "parents",
        "qual",
        "spawns",
        "task_sites",
        "unknown",
        "waits",
    )

    def __init__(self, qual: str, *, is_async: bool, in_async: bool, entry: bool) -> None:
        self.qual = qual
        self.is_async = is_async
        self.in_async = in_async
        self.entry = entry
        self.origins: dict[str, str] = {}
        self.parents: dict[str, str] = {}  # path variable -> the directory variable it is in
        self.unknown: set[str] = {"self", "cls"}
        self.cleaned: set[str] = set()  # names removed/closed in finally, returned, registered
        self.consumed: set[str] = set()  # names moved away (os.replace, Path.rename)
        self.creations: list[tuple[int, str, str, tuple[str, ...]]] = []
        self.has_timeout = False
        self.spawns: list[Site] = []
        self.waits: list[Site] = []
        self.kills = False  # kills/terminates the process itself: it bounds the wait
        self.loop_checked = False  # calls get_running_loop(): it runs inside the loop
        self.nonblocking = False  # puts a socket in non-blocking mode
        self.blocking: list[Site] = []
        self.task_sites: list[tuple[Site, bool, bool]] = []  # (site, kept, dropped)


class _Scanner:
    def __init__(self) -> None:
        self.blocking: list[Site] = []
        self.tasks: list[Site] = []
        self.runners: list[Site] = []
        self.adapters: list[Adapter] = []
        self.polls: list[Site] = []
        self.resources: list[Resource] = []
        self.subprocesses: list[Site] = []
        self.dropped: set[int] = set()
        self.no_loop = 0  # inside `except RuntimeError:` (no running loop) handlers
        self.fallbacks: set[str] = set()  # functions called from such handlers
        self.bound: set[int] = set()
        self.passed: set[int] = set()  # calls whose result is handed to another call
        self.holders: dict[int, str] = {}  # inline temp call -> the name holding it, or `p/..`

    def _mark_bound(self, value: ast.expr) -> None:
        if isinstance(value, ast.Subscript | ast.Await):
            value = value.value
        if isinstance(value, ast.Call):
            self.bound.add(id(value))

    # -- structure ---------------------------------------------------------------------------

    def module(self, tree: ast.Module) -> None:
        top = _Fn("<module>", is_async=False, in_async=False, entry=False)
        self._body(tree.body, top, owner="", prefix="")

    def _body(self, body: list[ast.stmt], fn: _Fn, *, owner: str, prefix: str) -> None:
        at_module = fn.qual == "<module>"
        for stmt in body:
            kind = type(stmt)
            if kind is _EXPR_STMT:  # the commonest statements go straight to their case
                self._expr_stmt(stmt, fn)  # type: ignore[arg-type]
            elif kind is _ASSIGN or kind is _ANN_ASSIGN:
                self._assign(stmt, fn)  # type: ignore[arg-type]
            elif kind is _DEF or kind is _ASYNC_DEF:
                self._function(stmt, fn, owner=owner, prefix=prefix)  # type: ignore[arg-type]
            elif kind is _CLASS:
                name = stmt.name  # type: ignore[attr-defined]
                self._body(stmt.body, fn, owner=name, prefix=f"{prefix}{name}.")  # type: ignore[attr-defined]
            elif at_module and kind is _IF and is_main_guard(stmt):
                guard = _Fn("<module>", is_async=False, in_async=False, entry=True)
                self._body(stmt.body, guard, owner=owner, prefix=prefix)  # type: ignore[attr-defined]
            else:
                self._stmt(stmt, fn, owner=owner, prefix=prefix)

    def _function(
        self, node: ast.FunctionDef | ast.AsyncFunctionDef, outer: _Fn, *, owner: str, prefix: str
    ) -> None:
        is_async = isinstance(node, ast.AsyncFunctionDef)
        fn = _Fn(
            f"{prefix}{node.name}",
            is_async=is_async,
            in_async=outer.is_async or outer.in_async,
            entry=outer.entry or is_entry(node),
        )
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if arg is None:
                continue
            annotation = dotted(arg.annotation) if arg.annotation is not None else ""
            if annotation and arg.arg not in {"self", "cls"}:
                fn.origins[arg.arg] = annotation + "()"
            else:
                fn.unknown.add(arg.arg)
        if is_async and outer.qual == "<module>":
            self._adapter(node, owner, fn.qual)
        self._body(node.body, fn, owner="", prefix=f"{fn.qual}.")
        self._finish(fn)

    def _finish(self, fn: _Fn) -> None:
        cleaned = fn.cleaned
        if fn.parents:  # removing `dirname(p)` removes the directory `p` was made in
            ups = (c[:-3] for c in cleaned if c.endswith("/.."))
            cleaned = cleaned | {fn.parents[p] for p in ups if p in fn.parents}
        for line, name, kind, bound in fn.creations:
            if not bound or not any(b in cleaned for b in bound):
                self.resources.append(Resource(fn.qual, line, name, kind))
        if not fn.has_timeout:
            self.subprocesses.extend(fn.spawns)
        if not fn.kills:
            self.subprocesses.extend(fn.waits)
        self.blocking.extend(
            b for b in fn.blocking if not (fn.nonblocking and b.name.startswith("socket"))
        )
        sync = not fn.is_async and not fn.in_async and fn.qual != "<module>"
        for site, kept, dropped in fn.task_sites:
            tags = []
            if sync and not kept and not fn.loop_checked:
                tags.append("sync")
            if dropped:
                tags.append("dropped")
            if tags:
                self.tasks.append(site._replace(tag=",".join(tags)))

    # -- statements --------------------------------------------------------------------------

    def _assign(self, stmt: ast.Assign | ast.AnnAssign, fn: _Fn) -> None:
        value = stmt.value
        if value is None:
            return
        targets = stmt.targets if type(stmt) is _ASSIGN else [stmt.target]  # type: ignore[union-attr]
        self._mark_bound(value)
        self._derive(targets, value, fn)
        self._expr(value, fn)
        for target in targets:
            self._bind(target, value, fn, stmt.lineno)

    def _expr_stmt(self, stmt: ast.Expr, fn: _Fn) -> None:
        value = stmt.value
        if type(value) is _CALL:
            self.dropped.add(id(value))
            func = value.func
            if type(func) is _ATTRIBUTE and type(func.value) is _CALL:
                self.dropped.add(id(func.value))  # create_task(...).add_done_callback(...)
        self._expr(value, fn)

    def _stmt(  # noqa: C901, PLR0911, PLR0912, PLR0915
        self, stmt: ast.stmt, fn: _Fn, *, owner: str, prefix: str
    ) -> None:
        # Assignments, expression statements, definitions and classes never come here:
        # ``_body`` dispatches them itself.
        if isinstance(stmt, ast.Return):
            if stmt.value is not None:
                self._mark_bound(stmt.value)
                self._expr(stmt.value, fn)
                fn.cleaned.update(handed_back(stmt.value))
            return
        if isinstance(stmt, ast.With | ast.AsyncWith):
            for item in stmt.items:
                ctx = item.context_expr
                if item.optional_vars is not None:
                    self._mark_bound(ctx)
                self._expr(ctx, fn)
                if isinstance(ctx, ast.Call) and last_part(dotted(ctx.func)) in _TIMEOUTS:
                    fn.has_timeout = True
                fn.cleaned.update(_names(ctx))
                if item.optional_vars is not None:
                    self._bind(item.optional_vars, ctx, fn, stmt.lineno, in_with=True)
            self._body(stmt.body, fn, owner=owner, prefix=prefix)
            return
        if isinstance(stmt, ast.Try | ast.TryStar):
            for final in stmt.finalbody:
                self._cleanups(final, fn)
            self._body(stmt.body, fn, owner=owner, prefix=prefix)
            for handler in stmt.handlers:
                if handler.name:
                    fn.unknown.add(handler.name)
                caught = names(handler.type) if handler.type is not None else set()
                no_loop = "RuntimeError" in caught
                if "BlockingIOError" in caught:
                    fn.nonblocking = True  # non-blocking socket I/O: the call cannot block
                self.no_loop += no_loop
                self._cleanups(handler, fn, consumed_only=True)
                self._body(handler.body, fn, owner=owner, prefix=prefix)
                self.no_loop -= no_loop
            self._body(stmt.orelse, fn, owner=owner, prefix=prefix)
            self._body(stmt.finalbody, fn, owner=owner, prefix=prefix)
            return
        if isinstance(stmt, ast.For | ast.AsyncFor):
            self._expr(stmt.iter, fn)
            self._unbind(stmt.target, fn)
            self._body(stmt.body, fn, owner=owner, prefix=prefix)
            self._body(stmt.orelse, fn, owner=owner, prefix=prefix)
            return
        if isinstance(stmt, ast.While):
            self._expr(stmt.test, fn)
            self._poll(stmt, fn)
            self._body(stmt.body, fn, owner=owner, prefix=prefix)
            self._body(stmt.orelse, fn, owner=owner, prefix=prefix)
            return
        if isinstance(stmt, ast.If):
            self._expr(stmt.test, fn)
            constant = stmt.test.value if isinstance(stmt.test, ast.Constant) else None
            if constant is not False:  # `if False:` / `if True: ... else:` never runs
                self._body(stmt.body, fn, owner=owner, prefix=prefix)
            if constant is not True:
                self._body(stmt.orelse, fn, owner=owner, prefix=prefix)
            return
        if isinstance(stmt, ast.Import | ast.ImportFrom):
            for alias in stmt.names:
                fn.origins.pop((alias.asname or alias.name).partition(".")[0], None)
            return
        for child in ast.iter_child_nodes(stmt):  # the rest hold no statements of their own
            if isinstance(child, ast.expr):
                self._expr(child, fn)
            elif isinstance(child, ast.match_case):
                self._body(child.body, fn, owner=owner, prefix=prefix)

    def _bind(
        self, target: ast.expr, value: ast.expr, fn: _Fn, line: int, *, in_with: bool = False
    ) -> None:
        if isinstance(target, ast.Attribute | ast.Subscript):
            fn.cleaned.update(_names(value))  # stored on an object: ownership moves there
            return
        call = value.value if isinstance(value, ast.Subscript) else value
        if isinstance(call, ast.Await):
            call = call.value
        if isinstance(call, ast.Call) and not in_with:
            self._creation(call, target, fn, line)
        if in_with and isinstance(call, ast.Call) and is_temp(call):
            # `with NamedTemporaryFile(delete=False) as f` still leaves the file behind.
            self._creation(call, target, fn, line)
        if isinstance(target, ast.Name):
            origin = _origin(value, fn)
            if origin:
                fn.origins[target.id] = origin
                fn.unknown.discard(target.id)
            else:
                fn.origins.pop(target.id, None)
                fn.unknown.add(target.id)
        else:
            self._unbind(target, fn)

    def _derive(self, targets: list[ast.expr], value: ast.expr, fn: _Fn) -> None:
        """Note the directory a path variable is made in, and the name holding an inline
        temp path (``d = Path(mkdtemp())``; ``p = os.path.join(mkdtemp(), x)``: ``p/..``).
        """  # noqa: D205
        if fn.parents:  # a name bound again is no longer a path in that directory
            for name in [n for target in targets for n in _names(target)]:
                fn.parents.pop(name, None)
        if not makes_path(value):
            return
        same, parent = path_of(value), dir_of(value)
        for target in targets:
            path = target
            if isinstance(target, ast.Tuple) and len(target.elts) == 2:  # noqa: PLR2004
                path = target.elts[1]  # fd, path = mkstemp(dir=d)
            if not isinstance(path, ast.Name):
                continue
            if same is not value and isinstance(same, ast.Call) and is_temp(same):
                self.holders[id(same)] = path.id
            if isinstance(parent, ast.Name):
                fn.parents[path.id] = parent.id
            elif isinstance(parent, ast.Call) and is_temp(parent):
                self.holders[id(parent)] = f"{path.id}/.."

    def _unbind(self, target: ast.expr, fn: _Fn) -> None:
        for name in _names(target):
            fn.origins.pop(name, None)
            fn.unknown.add(name)

    def _creation(self, call: ast.Call, target: ast.expr, fn: _Fn, line: int) -> None:
        name = _chain(call.func, fn)
        if not name:
            return
        last = last_part(name)
        bound: tuple[str, ...] = ()
        if is_temp(call):
            if isinstance(target, ast.Tuple) and len(target.elts) == 2:  # noqa: PLR2004
                path = target.elts[1]  # mkstemp: (fd, path); closing fd removes nothing
                bound = (path.id,) if isinstance(path, ast.Name) else ()
            elif isinstance(target, ast.Name):
                bound = (target.id,)
            fn.creations.append((line, name, "temp", bound))
            return
        if not isinstance(target, ast.Name):
            return
        if name == "next" and call.args and isinstance(call.args[0], ast.Call):
            inner = _chain(call.args[0].func, fn)
            if inner:
                fn.creations.append((line, f"next({inner}())", "db", (target.id,)))
            return
        if (
            last in {"Session", "AsyncSession", "connect", "raw_connection"}
            or "session" in last.lower()
            or name.endswith(")")
        ):
            fn.creations.append((line, name, "db", (target.id,)))

    def _cleanups(self, stmt: ast.AST, fn: _Fn, *, consumed_only: bool = False) -> None:
        """Names a ``finally`` block removes or closes (an ``except`` block: removes after a
        failed move, the atomic-write pattern).
        """  # noqa: D205
        removed: set[str] = set()
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            last = last_part(dotted(node.func))
            if last in _REMOVERS:
                for arg in node.args:
                    removed.update(removed_names(arg))
                if isinstance(node.func, ast.Attribute):
                    removed.update(removed_names(node.func.value))
            elif last in _CLOSERS and isinstance(node.func, ast.Attribute) and not consumed_only:
                removed.update(names(node.func.value))
        fn.cleaned.update(removed & fn.consumed if consumed_only else removed)

    # -- expressions -------------------------------------------------------------------------

    def _expr(self, expr: ast.expr, fn: _Fn) -> None:  # noqa: C901, PLR0912
        stack: list[ast.AST] = [expr]
        pop, push, extend = stack.pop, stack.append, stack.extend
        while stack:
            node = pop()
            kind = type(node)
            if kind is ast.Name or kind is ast.Constant or kind is ast.Lambda:
                continue
            if kind is ast.Attribute:
                push(node.value)  # type: ignore[attr-defined]
            elif kind is ast.Call or (kind is ast.Await and type(node.value) is ast.Call):  # type: ignore[attr-defined]
                awaited = kind is ast.Await
                call: ast.Call = node.value if awaited else node  # type: ignore[assignment, attr-defined]
                push(call.func)
                if not self._call(call, fn, awaited=awaited):
                    extend(call.args)
                    extend([k.value for k in call.keywords])
                    self.passed.update(id(a) for a in call.args if type(a) is ast.Call)
            elif kind is ast.Compare:
                push(node.left)  # type: ignore[attr-defined]
                extend(node.comparators)  # type: ignore[attr-defined]
            elif kind is ast.BinOp:
                push(node.left)  # type: ignore[attr-defined]
                push(node.right)  # type: ignore[attr-defined]
            elif kind is ast.BoolOp or kind is ast.JoinedStr:
                extend(node.values)  # type: ignore[attr-defined]
            elif kind is ast.Subscript:
                push(node.value)  # type: ignore[attr-defined]
                push(node.slice)  # type: ignore[attr-defined]
            elif kind is ast.Tuple or kind is ast.List or kind is ast.Set:
                extend(node.elts)  # type: ignore[attr-defined]
            elif kind is ast.UnaryOp:
                push(node.operand)  # type: ignore[attr-defined]
            elif kind is ast.FormattedValue or kind is ast.Starred or kind is ast.Await:
                push(node.value)  # type: ignore[attr-defined]
            else:
                for field in child_fields(kind):
                    child = getattr(node, field)
                    if type(child) is list:
                        extend([c for c in child if c is not None])
                    elif child is not None:
                        push(child)

    def _call(self, node: ast.Call, fn: _Fn, *, awaited: bool) -> bool:  # noqa: C901, PLR0912
        """Record the call where a rule wants it; return whether it offloads its arguments."""
        func = node.func
        name = _chain(func, fn)
        if not name:
            if type(func) is not _ATTRIBUTE or func.attr not in _STORES:
                return False
            plain = dotted(func)
            if plain.startswith("self."):
                # Kept by the object (``self._paths.append(path)``): it owns the cleanup now.
                for arg in node.args:
                    fn.cleaned.update(names(arg))
                    self.bound.update(
                        id(n) for n in ast.walk(arg) if isinstance(n, ast.Call) and is_temp(n)
                    )
            return False
        last = last_part(name)
        line = node.lineno
        if last in _TIMEOUTS:
            fn.has_timeout = True
        if last in _REGISTRARS:
            for arg in node.args:
                fn.cleaned.update(removed_names(arg))
        elif last in _MOVERS and node.args:
            fn.consumed.update(names(node.args[0]))
            if isinstance(node.func, ast.Attribute):
                fn.consumed.update(names(node.func.value))
        elif last in _KILLERS or last.startswith("_kill"):
            fn.kills = True
        elif last == "get_running_loop":
            fn.loop_checked = True
        elif last in {"setblocking", "settimeout"} and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and arg.value == 0:
                fn.nonblocking = True
        if self.no_loop:
            self.fallbacks.add(last)
        if is_offload(name):
            return True
        if (
            fn.is_async
            and not awaited
            and name not in BUILTINS
            and name.partition(".")[0] not in _QUIET_HEADS
        ):
            fn.blocking.append(Site(fn.qual, line, name))
        if last in {"create_task", "ensure_future"}:
            kept = id(node) in self.bound or id(node) in self.passed or awaited
            dropped = id(node) in self.dropped and not awaited
            fn.task_sites.append((Site(fn.qual, line, name), kept, dropped))
        elif last == "run_until_complete" or (last == "run" and "asyncio" in name) or name == "run":
            entry = fn.entry or self.no_loop > 0
            self.runners.append(Site(fn.qual, line, name, "entry" if entry else ""))
        if (
            last in _SUBPROCESS_RUNS
            and ("subprocess" in name or name == last)
            and not has_timeout(node)
        ):
            self.subprocesses.append(Site(fn.qual, line, name, "run"))
        elif last in {"communicate", "wait"} and "Popen" in name and not has_timeout(node):
            fn.waits.append(Site(fn.qual, line, name, "communicate"))
        elif last in {"create_subprocess_exec", "create_subprocess_shell"}:
            fn.spawns.append(Site(fn.qual, line, name, "spawn"))
        if _plain_last(func) in TEMP_NAMES and id(node) not in self.bound and is_temp(node):
            # Created inline: only removing the name that holds it (if any) removes it.
            held = self.holders.get(id(node))
            fn.creations.append((line, name, "temp", (held,) if held else ()))
        return False

    # -- shapes ------------------------------------------------------------------------------

    def _adapter(  # noqa: C901
        self, node: ast.AsyncFunctionDef | ast.FunctionDef, owner: str, qual: str
    ) -> None:
        body = list(node.body)
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        if len(body) == 2 and isinstance(body[0], ast.Assign):  # noqa: PLR2004
            value = body[0].value
            if not (isinstance(value, ast.Call) and "loop" in last_part(dotted(value.func))):
                return
            body = body[1:]
        if len(body) != 1 or not isinstance(body[0], ast.Return | ast.Expr):
            return
        awaited = body[0].value
        if not isinstance(awaited, ast.Await) or not isinstance(awaited.value, ast.Call):
            return
        call = awaited.value
        name = dotted(call.func)
        if not is_offload(name):
            return
        args = list(call.args)
        if last_part(name) == "run_in_executor" and args:
            args = args[1:]
        if not args:
            return
        target = args[0]
        if (
            isinstance(target, ast.Call)
            and last_part(dotted(target.func)) == "partial"
            and target.args
        ):
            target = target.args[0]
        wrapped = dotted(target)
        head, _, rest = wrapped.partition(".")
        if owner and head in {"self", "cls"} and rest and "." not in rest:
            self.adapters.append(Adapter(qual, node.lineno, owner, rest))
        elif not owner and wrapped and "." not in wrapped:
            self.adapters.append(Adapter(qual, node.lineno, "", wrapped))

    def _poll(self, loop: ast.While, fn: _Fn) -> None:  # noqa: C901, PLR0912
        work = False
        for stmt in loop.body:
            if isinstance(stmt, ast.Expr):
                call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
                if isinstance(call, ast.Call):
                    name = dotted(call.func)
                    if last_part(name) != "sleep" and name.partition(".")[0] not in _QUIET_HEADS:
                        work = True  # a periodic job does work between sleeps
        if work:
            return
        sleeps: list[str] = []
        reread: set[str] = set()
        sources: dict[str, list[str]] = {}
        exits: list[ast.expr] = []
        for stmt in straight(loop.body):
            if isinstance(stmt, ast.Expr):
                call = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
                if isinstance(call, ast.Call) and last_part(dotted(call.func)) == "sleep":
                    sleeps.append(dotted(call.func))
            elif isinstance(stmt, ast.Assign | ast.AnnAssign) and stmt.value is not None:
                called = calls_in(stmt.value)
                if called:
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                    for target in targets:
                        if isinstance(target, ast.Name):  # not the loop's own `self.x` state
                            reread.add(target.id)
                            sources.setdefault(target.id, []).extend(called)
            elif isinstance(stmt, ast.If) and any(
                isinstance(s, ast.Return | ast.Break) for s in stmt.body
            ):
                exits.append(stmt.test)
        if not sleeps:
            return
        tests = [*exits, loop.test]
        evidence: list[str] = []
        for test in tests:
            evidence += calls_in(test)
            for name in names(test) & reread:
                evidence += sources.get(name, [])
        if evidence and not all(_PROBE.search(e) for e in evidence):
            self.polls.append(Site(fn.qual, loop.lineno, sleeps[0]))


def _names(node: ast.AST) -> list[str]:
    """The identifiers of every ``Name`` under ``node``, in :func:`ast.walk`'s order."""
    kind = type(node)
    if kind is _NAME:
        return [node.id]  # type: ignore[attr-defined]
    if kind is _CONSTANT:
        return []
    return [n.id for n in ast.walk(node) if type(n) is _NAME]


def _plain_last(func: ast.expr) -> str:
    """The last part `dotted` (from `_scan`) would give ``func``, or a name no set holds."""
    kind = type(func)
    if kind is _ATTRIBUTE:
        return func.attr  # type: ignore[attr-defined, no-any-return]
    if kind is _NAME:
        return func.id  # type: ignore[attr-defined, no-any-return]
    return ""


def _chain(node: ast.AST, fn: _Fn) -> str:
    """Like :func:`_plain`, with a local variable replaced by the call that made it."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            inner = _chain(node.func, fn)
            if not inner:
                return ""
            parts.append(inner + "()")
            break
        elif isinstance(node, ast.Name):
            origin = fn.origins.get(node.id)
            if origin is not None:
                parts.append(origin)
            elif node.id in fn.unknown:
                return ""
            else:
                parts.append(node.id)
            break
        else:
            return ""
    return ".".join(reversed(parts))


def _origin(value: ast.expr, fn: _Fn) -> str:
    if isinstance(value, ast.Await):
        return ""
    if isinstance(value, ast.Call):
        name = _chain(value.func, fn)
        return name + "()" if name else ""
    if isinstance(value, ast.Name | ast.Attribute):
        return _chain(value, fn)
    return ""


def collect_hazards(tree: ast.Module, source: str) -> tuple[tuple[tuple[object, ...], ...], ...]:
    """Scan one module for the hazard rules; cheap when its source mentions none of them.

    The result is plain nested tuples (compact in the facts cache;
    :func:`~rescope.audit.rules._rs4_hazard_facts.load_hazards` turns it back). Every
    hazard rule names it as its ``collect``; extraction runs a collector shared by
    several rules once per module.
    """
    if not any(marker in source for marker in _MARKERS):
        return ()
    scanner = _Scanner()
    scanner.module(tree)
    if "noqa" in source:
        acknowledged = _acknowledged(source)
        scanner.polls = [p for p in scanner.polls if "ASYNC110" not in acknowledged.get(p.line, "")]
        scanner.blocking = [
            b for b in scanner.blocking if "ASYNC2" not in acknowledged.get(b.line, "")
        ]
    if scanner.fallbacks:
        # A function only reached when no loop runs may start one: not a sync bridge.
        scanner.runners = [
            r._replace(tag="entry") if last_part(r.function) in scanner.fallbacks else r
            for r in scanner.runners
        ]
    groups = (
        scanner.blocking,
        scanner.tasks,
        scanner.runners,
        scanner.adapters,
        scanner.polls,
        scanner.resources,
        scanner.subprocesses,
    )
    raw: tuple[tuple[tuple[object, ...], ...], ...] = ()
    if any(groups):
        raw = tuple(tuple(tuple(item) for item in group) for group in groups)
    return raw


_NOQA = re.compile(r"#\s*noqa:\s*([A-Z0-9, ]+)")


def _acknowledged(source: str) -> dict[int, str]:
    """Lines whose ``# noqa:`` names ruff's equivalent ASYNC rule (ASYNC110, ASYNC2xx)."""
    out: dict[int, str] = {}
    for number, line in enumerate(source.splitlines(), start=1):
        if "ASYNC" in line:
            match = _NOQA.search(line)
            if match:
                out[number] = match.group(1)
    return out
