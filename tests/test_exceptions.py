"""The error hierarchy: one root, messages with fixes, context kept as attributes."""

from __future__ import annotations

import inspect
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from rescope import Scope, exceptions
from rescope.exceptions import (
    CircuitOpenError,
    CleanupError,
    ContainerError,
    MissingExtraError,
    ProcessTimeoutError,
    RescopeError,
    ServiceError,
)


def test_every_error_derives_from_rescope_error_and_is_documented() -> None:
    """Every class in rescope.exceptions is a RescopeError, has a docstring and is in the tree."""
    tree = exceptions.__doc__ or ""
    for name in exceptions.__all__:
        cls = getattr(exceptions, name)
        assert inspect.isclass(cls)
        assert issubclass(cls, RescopeError)
        assert cls.__doc__, name
        assert name in tree, f"{name} is missing from the module docstring's tree"


def test_hint_is_rendered_as_a_try_line() -> None:
    """A hint is shown on its own line starting with 'Try'."""
    err = RescopeError("the thing broke.", hint="turning it off and on.")
    assert str(err) == "the thing broke.\nTry turning it off and on."


def test_missing_extra_is_an_import_error_naming_the_extra() -> None:
    """MissingExtraError can be caught as ImportError and tells the pip command."""
    err = MissingExtraError("redis", module="rescope.resilience", missing="redis")
    assert isinstance(err, ImportError)
    assert "pip install 'rescope[redis]'" in str(err)
    assert err.extra == "redis"


def test_cleanup_error_is_an_exception_group_of_container_errors() -> None:
    """CleanupError groups finalizer errors and works with except*."""
    first, second = ValueError("a"), KeyError("b")
    err = CleanupError("2 finalizers failed", [first, second])
    assert isinstance(err, ContainerError)
    assert isinstance(err, ExceptionGroup)
    assert err.exceptions == (first, second)
    caught: list[BaseException] = []
    try:
        raise err
    except* ValueError as group:
        caught.extend(group.exceptions)
    except* KeyError as group:
        caught.extend(group.exceptions)
    assert caught == [first, second]


def test_circuit_open_error_keeps_context() -> None:
    """The breaker's name and wait time are attributes and appear in the message."""
    err = CircuitOpenError("redis", retry_after=12.5)
    assert err.name == "redis"
    assert err.retry_after == 12.5
    assert "'redis' is open for another 12.5s" in str(err)


def test_process_timeout_carries_argv_and_stderr_tail() -> None:
    """Process errors keep argv, exit code and the stderr tail."""
    err = ProcessTimeoutError(["ffmpeg", "-i", "x"], returncode=-9, stderr_tail="boom")
    assert err.argv == ["ffmpeg", "-i", "x"]
    assert err.returncode == -9
    assert "boom" in str(err)


@pytest.mark.parametrize(
    ("kwargs", "code", "status"), [({}, "not_found", 404), ({"code": "x", "status": 409}, "x", 409)]
)
def test_service_error_code_and_status(kwargs, code, status) -> None:
    """ServiceError subclasses set defaults that instances may override."""

    class NotFoundError(ServiceError):
        code = "not_found"
        status = 404
        title = "Not found"

    err = NotFoundError("no such brand kit", **kwargs)
    assert (err.code, err.status, err.detail) == (code, status, "no such brand kit")


def sample(parameter: inspect.Parameter) -> object:
    """A value of the type a constructor parameter is annotated with."""
    kind = str(parameter.annotation)
    samples: list[tuple[tuple[str, ...], object]] = [
        (("Scope",), Scope.REQUEST),
        (("Sequence[Exception]", "list[Exception]", "Sequence[BaseException]"), [KeyError("k")]),
        (("BaseException", "Exception"), ValueError("cause")),
        (("Sequence", "list", "tuple"), ["a", "b"]),
        (("Mapping", "dict"), {"key": 1}),
        (("Path",), Path("/srv/app.py")),
        (("float",), 2.5),
        (("int",), 7),
        (("bool",), True),
    ]
    for names, value in samples:
        if any(name in kind for name in names):
            return value
    return f"<{parameter.name}>"


def build(cls: Any) -> RescopeError:
    """An instance of ``cls`` with every constructor argument given."""
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for parameter in list(inspect.signature(cls.__init__).parameters.values())[1:]:
        if parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = sample(parameter)
        elif parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            args.append(sample(parameter))
    return cls(*args, **kwargs)


@pytest.mark.parametrize("name", exceptions.__all__)
def test_every_error_survives_pickling(name: str) -> None:
    """Errors cross process boundaries (worker pools, task queues) with their context."""
    error = build(getattr(exceptions, name))
    error.add_note("seen in a worker")
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - made by this test
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert repr(copy.args) == repr(error.args)
    assert {k: repr(v) for k, v in vars(copy).items()} == {
        k: repr(v) for k, v in vars(error).items()
    }
    assert copy.__notes__ == ["seen in a worker"]


def raise_timeout(seconds: float) -> None:
    """Run in a worker process: fail the way a process runner does."""
    raise ProcessTimeoutError(["ffmpeg", "-i", "in.mp4"], returncode=-9, stderr_tail="stalled")


def test_an_error_raised_in_a_worker_process_arrives_whole() -> None:
    """A real spawned worker raises a keyword-only error; the caller catches it intact."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        future = pool.submit(raise_timeout, 1.0)
        with pytest.raises(ProcessTimeoutError) as raised:
            future.result(timeout=60)
    assert raised.value.argv == ["ffmpeg", "-i", "in.mp4"]
    assert raised.value.returncode == -9
    assert "stalled" in str(raised.value)
