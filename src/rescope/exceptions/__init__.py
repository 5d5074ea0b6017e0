"""Every error rescope raises, in one hierarchy.

Catch :class:`RescopeError` to catch them all. Each class says when it is raised; the
message says what happened, why it matters and, where there is one, the fix (a ``Try ...``
line). Context is kept as attributes so handlers can act on it without parsing text::

    RescopeError
    ├── ConfigurationError ............ a setting or `[tool.rescope]` option is wrong
    │   ├── MissingExtraError ......... an integration needs its extra (also an ImportError)
    │   └── SettingsError ............. environment variables failed validation
    ├── UsageError .................... the command line was used wrongly (exit code 2)
    │   └── NotImplementedYetError .... a command that has not landed yet
    ├── ContainerError ................ dependency injection
    │   ├── RegistrationError ......... a provider cannot be registered as given
    │   │   └── DuplicateRegistrationError
    │   ├── GraphValidationError ...... the graph is invalid (raised when the container is built)
    │   │   ├── MissingDependencyError
    │   │   ├── CycleError
    │   │   ├── ScopeViolationError ... a longer-lived service depends on a shorter-lived one
    │   │   ├── AsyncProviderError .... an async provider is needed by a sync resolution
    │   │   └── UnresolvableParameterError
    │   ├── ResolutionError ........... a service cannot be resolved right now
    │   │   ├── UnknownServiceError ... nothing provides the requested type
    │   │   ├── ScopeNotActiveError ... the provider's scope has not been entered
    │   │   ├── MissingContextError ... a context value was not passed when entering the scope
    │   │   └── UnexpectedContextError  a context value no registration declares was passed
    │   ├── InvalidScopeError ......... a scope was entered out of order
    │   ├── ClosedError ............... the container or scope was used after closing
    │   ├── AsyncFinalizerError ....... async finalizers need an async close
    │   └── CleanupError .............. finalizers failed (also an ExceptionGroup)
    ├── ResilienceError
    │   ├── CircuitOpenError .......... the breaker rejected a call without running it
    │   ├── RedisUnavailableError ..... Redis is down and the client is in STRICT mode
    │   ├── RateLimitExceededError .... a caller went over its limit
    │   └── RetryBudgetExceededError .. retries ran out of attempts or time
    ├── ResourceError
    │   ├── ProcessError .............. a subprocess failed (exit code, argv, stderr tail)
    │   │   └── ProcessTimeoutError ... a subprocess ran past its timeout and was killed
    │   └── DatabaseError ............. a session, transaction or engine failed
    ├── EventError
    │   ├── CompletionTimeoutError .... nothing notified a waited-for key in time
    │   ├── CompletionFailedError ..... the job reported failure through notify_error()
    │   ├── EventEncodingError ........ a result or event cannot travel as JSON
    │   ├── EventsClosedError ......... a notifier, bus or router was used after aclose()
    │   ├── DuplicateRunError ......... a run id is registered twice in one user's registry
    │   └── UnknownRunError ........... a run id is not in this user's registry
    ├── IsolationError ................ a pytest-kit check found per-user state shared
    │   ├── CrossUserLeakError ........ a user received a payload that belongs to another user
    │   ├── SharedInstanceError ....... a per-user service is one object for several users
    │   ├── MemoryGrowthError ......... memory grew past its bound after users came and went
    │   └── SimulationError ........... simulated users' workflows raised errors
    ├── AuditError .................... the audit could not run (not a finding)
    ├── MigrationError ................ a migration phase could not be applied
    │   └── VerificationError ......... the project's tests got worse after a migration
    └── ServiceError .................. base for application errors (code, status, message)

Every error pickles with its message, hint and attributes, so one raised in a worker
process (a process pool, a task queue) reaches the caller whole.
"""

from __future__ import annotations

from rescope.exceptions._audit import AuditError
from rescope.exceptions._base import (
    ConfigurationError,
    MissingExtraError,
    NotImplementedYetError,
    RescopeError,
    SettingsError,
    UsageError,
)
from rescope.exceptions._base import (
    _qualified_name as _qualified_name,  # rescope.di names services the way errors do
)
from rescope.exceptions._di import (
    AsyncFinalizerError,
    AsyncProviderError,
    CleanupError,
    ClosedError,
    ContainerError,
    CycleError,
    DuplicateRegistrationError,
    GraphValidationError,
    InvalidScopeError,
    MissingContextError,
    MissingDependencyError,
    RegistrationError,
    ResolutionError,
    ScopeNotActiveError,
    ScopeViolationError,
    UnexpectedContextError,
    UnknownServiceError,
    UnresolvableParameterError,
)
from rescope.exceptions._events import (
    CompletionFailedError,
    CompletionTimeoutError,
    DuplicateRunError,
    EventEncodingError,
    EventError,
    EventsClosedError,
    UnknownRunError,
)
from rescope.exceptions._migrate import MigrationError, VerificationError
from rescope.exceptions._resilience import (
    CircuitOpenError,
    RateLimitExceededError,
    RedisUnavailableError,
    ResilienceError,
    RetryBudgetExceededError,
)
from rescope.exceptions._resources import (
    DatabaseError,
    ProcessError,
    ProcessTimeoutError,
    ResourceError,
)
from rescope.exceptions._services import ServiceError
from rescope.exceptions._testing import (
    CrossUserLeakError,
    IsolationError,
    MemoryGrowthError,
    SharedInstanceError,
    SimulationError,
)

__all__ = [
    "AsyncFinalizerError",
    "AsyncProviderError",
    "AuditError",
    "CircuitOpenError",
    "CleanupError",
    "ClosedError",
    "CompletionFailedError",
    "CompletionTimeoutError",
    "ConfigurationError",
    "ContainerError",
    "CrossUserLeakError",
    "CycleError",
    "DatabaseError",
    "DuplicateRegistrationError",
    "DuplicateRunError",
    "EventEncodingError",
    "EventError",
    "EventsClosedError",
    "GraphValidationError",
    "InvalidScopeError",
    "IsolationError",
    "MemoryGrowthError",
    "MigrationError",
    "MissingContextError",
    "MissingDependencyError",
    "MissingExtraError",
    "NotImplementedYetError",
    "ProcessError",
    "ProcessTimeoutError",
    "RateLimitExceededError",
    "RedisUnavailableError",
    "RegistrationError",
    "RescopeError",
    "ResilienceError",
    "ResolutionError",
    "ResourceError",
    "RetryBudgetExceededError",
    "ScopeNotActiveError",
    "ScopeViolationError",
    "ServiceError",
    "SettingsError",
    "SharedInstanceError",
    "SimulationError",
    "UnexpectedContextError",
    "UnknownRunError",
    "UnknownServiceError",
    "UnresolvableParameterError",
    "UsageError",
    "VerificationError",
]

# Each class is defined in a private module but belongs to `rescope.exceptions`: tracebacks,
# reprs, pickles and the docs name it `rescope.exceptions.<Name>`, the import path users write.
for _name in __all__:
    globals()[_name].__module__ = __name__
del _name
