"""The model and stage names an mlops.yaml declares, for checking a name a user typed.

A registry tag naming a model or a stage the config does not declare is never read by a run:
``cancer#prod#1`` deploys nothing when the stages are ``[staging, production]``. A write is
checked here first; the error suggests the closest declared name and lists them all.

Only the names matter, so the file is read and checked against the schema, not for the rest
(a data file not there yet does not stop a promotion).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlops_ci.config.loader import load_document_checked
from mlops_ci.config.model import DEFAULT_STAGES
from mlops_ci.errors import UserError
from mlops_ci.registry.tags import model_fullname


@dataclass(frozen=True, slots=True)
class DeclaredNames:
    """``models`` maps each accepted spelling (config name, registry name) to the registry name."""

    file: str
    models: tuple[tuple[str, str], ...]
    stages: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> DeclaredNames:
        """The names declared in the config at ``path`` (a file, or a folder holding one)."""
        doc, file, _ = load_document_checked(path)
        data: Mapping[str, Any] = doc.data  # type: ignore[assignment]  # valid: a mapping
        models: list[tuple[str, str]] = []
        for name, spec in data["models"].items():
            full = model_fullname(name, spec.get("path"))
            models.append((name, full))
            if full != name:
                models.append((full, full))
        return cls(file, tuple(models), tuple(data.get("stages", DEFAULT_STAGES)))

    def registry_name(self, model: str) -> str | None:
        """The registry name of ``model`` (a config name or a registry name), or None."""
        return dict(self.models).get(model)

    def unknown_model(self, model: str) -> UserError:
        names = [name for name, _ in self.models]
        return _unknown(f"model {model!r}", "models", "no run reads its tags", model, names,
                        self.file)

    def unknown_stage(self, stage: str) -> UserError:
        return _unknown(f"stage {stage!r}", "stages", "no run reads its tags", stage,
                        list(self.stages), self.file)


def _unknown(
    what: str, key: str, why: str, name: str, choices: list[str], file: str
) -> UserError:
    guess = closest(name, choices)
    listed = ", ".join(dict.fromkeys(choices)) or "none"
    return UserError(
        f"{what} is not declared in {file} (`{key}`); {why}",
        hint=(f"did you mean {guess!r}? " if guess else "")
        + f"{key} in {file}: {listed}; pass --force to write the tag anyway",
    )


def closest(name: str, choices: list[str]) -> str | None:
    """The choice ``name`` most likely misspells or abbreviates (``prod``: ``production``)."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    if close:
        return close[0]
    folded = name.casefold()
    started = [c for c in choices if c.casefold().startswith(folded) or
               folded.startswith(c.casefold())]
    return started[0] if len(started) == 1 else None
