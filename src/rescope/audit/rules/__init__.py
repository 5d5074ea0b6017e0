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

__all__ = [
    "ALL_RULES",
    "CachedGetter",
    "ClassCachedClient",
    "ClassSingleton",
    "Context",
    "Example",
    "LazyGlobalGetter",
    "ModuleInstance",
    "RULES_BY_CODE",
    "RacyLazyInit",
    "RouteBuildsService",
    "RouteCallsGetter",
    "Rule",
    "ServiceCycle",
    "SharedMutableState",
    "TestPatchesGetter",
    "TestResetsSingleton",
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
        ),
        key=lambda rule: rule.code,
    )
)
RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}
