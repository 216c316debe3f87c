"""The model registry kept in git tags, GTO-compatible.

``tags`` is the pure tag grammar, ``evidence`` the machine-readable block in a tag's message,
``state`` folds tags into models, versions and stages, ``store`` is the one module that talks to
git. Callers use :class:`RegistryStore` and the values it returns.
"""

from __future__ import annotations

from mlops_ci.registry.evidence import Evidence, GateVerdict
from mlops_ci.registry.results import Assignment, Registration, TagChange
from mlops_ci.registry.state import Event, ModelState, RegistryState, RegistryWarning, VersionState
from mlops_ci.registry.store import RegistryStore

__all__ = [
    "Assignment",
    "Event",
    "Evidence",
    "GateVerdict",
    "ModelState",
    "Registration",
    "RegistryState",
    "RegistryStore",
    "RegistryWarning",
    "TagChange",
    "VersionState",
]
