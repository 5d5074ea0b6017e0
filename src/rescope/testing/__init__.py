"""The pytest kit: container fixtures, overrides, concurrent users and isolation checks.

* The plugin (``rescope.testing._plugin``, registered by entry point) gives each test a
  fresh ``rescope_container``, an ``override`` helper undone at teardown, and
  ``rescope_app`` / ``rescope_client`` / ``rescope_async_client`` / ``rescope_server``.
* :class:`ConcurrentUserSimulator` runs N users at once against a running app (HTTP and
  websockets), each with its own workflow, and records what each one received.
* :func:`assert_no_cross_user_leakage`, :class:`SingletonDetector` and
  :class:`MemoryGrowthDetector` fail when one user's state reaches another, when a
  per-user service is shared, or when per-user state outlives its users.

HTTP and websockets need ``httpx``, ``websockets`` and ``uvicorn``.
"""

from rescope.testing._capture import EventCapture, RecordedWebSocket
from rescope.testing._leakage import Leak, assert_no_cross_user_leakage, find_leaks, owners_in
from rescope.testing._memory import MemoryGrowthDetector, MemoryReport
from rescope.testing._overrides import ActiveOverride, Overrides
from rescope.testing._records import Exchange, SimulationResult, UserResult, WebSocketMessage
from rescope.testing._server import LiveServer, UvicornProcess, free_port, serve
from rescope.testing._simulator import (
    ConcurrentUserSimulator,
    SimulatedUser,
    Workflow,
    bearer_headers,
)
from rescope.testing._singleton import InstanceFinding, SingletonDetector

__all__ = [
    "ActiveOverride",
    "ConcurrentUserSimulator",
    "EventCapture",
    "Exchange",
    "InstanceFinding",
    "Leak",
    "LiveServer",
    "MemoryGrowthDetector",
    "MemoryReport",
    "Overrides",
    "RecordedWebSocket",
    "SimulatedUser",
    "SimulationResult",
    "SingletonDetector",
    "UserResult",
    "UvicornProcess",
    "WebSocketMessage",
    "Workflow",
    "assert_no_cross_user_leakage",
    "bearer_headers",
    "find_leaks",
    "free_port",
    "owners_in",
    "serve",
]
