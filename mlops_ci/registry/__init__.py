"""The model registry kept in git tags, GTO-compatible.

``tags`` is the pure tag grammar, ``evidence`` the machine-readable block in a tag's message,
``state`` folds tags into models, versions and stages, ``promotion`` holds the store's pure
decisions on a state, ``store`` is the one module that talks to git. Callers use
:class:`RegistryStore` and the values it returns.
"""

from __future__ import annotations

from mlops_ci.registry.evidence import Evidence, GateRecord
from mlops_ci.registry.promotion import PromotionPlan
from mlops_ci.registry.results import Assignment, Registration, TagChange
from mlops_ci.registry.state import (
    ModelState,
    RegistryState,
    RegistryWarning,
    TagEvent,
    VersionState,
)
from mlops_ci.registry.store import RegistryStore

__all__ = [
    "Assignment",
    "Evidence",
    "GateRecord",
    "ModelState",
    "PromotionPlan",
    "Registration",
    "RegistryState",
    "RegistryStore",
    "RegistryWarning",
    "TagChange",
    "TagEvent",
    "VersionState",
]
