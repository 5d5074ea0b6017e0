"""The audit's rules, one module and one class each, with stable codes."""

from __future__ import annotations

from rescope.audit.rules._base import Context, Example, Rule
from rescope.audit.rules._rs001_unparsable_file import UnparsableFile
from rescope.audit.rules._rs101_lazy_global_getter import LazyGlobalGetter
from rescope.audit.rules._rs102_class_singleton import ClassSingleton
from rescope.audit.rules._rs103_class_cached_client import ClassCachedClient
from rescope.audit.rules._rs104_cached_getter import CachedGetter
from rescope.audit.rules._rs105_module_instance import ModuleInstance
from rescope.audit.rules._rs201_route_calls_getter import RouteCallsGetter
from rescope.audit.rules._rs202_route_builds_service import RouteBuildsService
from rescope.audit.rules._rs203_test_resets_singleton import TestResetsSingleton
from rescope.audit.rules._rs204_test_patches_getter import TestPatchesGetter
from rescope.audit.rules._rs301_shared_mutable_state import SharedMutableState
from rescope.audit.rules._rs302_racy_lazy_init import RacyLazyInit
from rescope.audit.rules._rs303_service_cycle import ServiceCycle
from rescope.audit.rules._rs401_blocking_call_in_async import BlockingCallInAsync
from rescope.audit.rules._rs402_unowned_task import UnownedTask
from rescope.audit.rules._rs403_sync_async_bridge import SyncAsyncBridge
from rescope.audit.rules._rs404_polling_loop import PollingLoop
from rescope.audit.rules._rs501_temp_file_leak import TempFileLeak
from rescope.audit.rules._rs502_db_session_leak import DbSessionLeak
from rescope.audit.rules._rs503_subprocess_without_timeout import SubprocessWithoutTimeout
from rescope.audit.rules._rs601_duplicate_client import DuplicateClient
from rescope.audit.rules._rs602_duplicate_service import DuplicateService

__all__ = [
    "ALL_RULES",
    "BlockingCallInAsync",
    "CachedGetter",
    "ClassCachedClient",
    "ClassSingleton",
    "Context",
    "DbSessionLeak",
    "DuplicateClient",
    "DuplicateService",
    "Example",
    "LazyGlobalGetter",
    "ModuleInstance",
    "PollingLoop",
    "RULES_BY_CODE",
    "RacyLazyInit",
    "RouteBuildsService",
    "RouteCallsGetter",
    "Rule",
    "ServiceCycle",
    "SharedMutableState",
    "SubprocessWithoutTimeout",
    "SyncAsyncBridge",
    "TempFileLeak",
    "TestPatchesGetter",
    "TestResetsSingleton",
    "UnownedTask",
    "UnparsableFile",
]

#: Every rule class, ordered by code. New rules are added here.
ALL_RULES: tuple[type[Rule], ...] = tuple(
    sorted(
        (
            UnparsableFile,
            LazyGlobalGetter,
            ClassSingleton,
            ClassCachedClient,
            CachedGetter,
            ModuleInstance,
            RouteCallsGetter,
            RouteBuildsService,
            TestResetsSingleton,
            TestPatchesGetter,
            SharedMutableState,
            RacyLazyInit,
            ServiceCycle,
            BlockingCallInAsync,
            UnownedTask,
            SyncAsyncBridge,
            PollingLoop,
            TempFileLeak,
            DbSessionLeak,
            SubprocessWithoutTimeout,
            DuplicateClient,
            DuplicateService,
        ),
        key=lambda rule: rule.code,
    )
)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
