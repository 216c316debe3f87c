"""The workflows ``mlops-ci init`` writes run others' actions by commit SHA, never by a tag
that can be moved to other code; mlops-ci's own action stays by tag, saying how to pin it."""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path

import yaml

from mlops_ci.cli import main

OWN_ACTION = "mlops-ci/mlops-ci"
USES = re.compile(r"^\s*(?:- )?uses:\s*(?P<ref>\S+)(?P<rest>.*)$")
PINNED = re.compile(r"[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}\Z")
VERSION_COMMENT = re.compile(r"\s+# v\d+\.\d+\.\d+\Z")


def uses_lines(text: str) -> list[tuple[str, str]]:
    return [(m["ref"], m["rest"]) for line in text.splitlines() if (m := USES.match(line))]


def templates() -> dict[str, str]:
    folder = resources.files("mlops_ci.templates")
    return {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in folder.iterdir()
        if entry.name.endswith(".yml")
    }


def test_every_third_party_action_in_the_templates_is_pinned_by_sha_with_its_version() -> None:
    third_party = []
    for name, text in templates().items():
        for ref, rest in uses_lines(text):
            if ref.startswith((f"{OWN_ACTION}@", "./")):
                continue
            third_party.append(ref.split("@")[0])
            assert PINNED.match(ref), f"{name}: {ref} is not pinned by a 40-hex commit SHA"
            assert VERSION_COMMENT.match(rest), f"{name}: {ref} lacks its `# vX.Y.Z` comment"
    assert {"actions/checkout", "actions/upload-artifact", "actions/download-artifact"} <= set(
        third_party
    )


def test_one_action_is_pinned_to_one_commit_everywhere() -> None:
    pins: dict[str, set[str]] = {}
    for text in templates().values():
        for ref, rest in uses_lines(text):
            action, _, sha = ref.partition("@")
            if action != OWN_ACTION:
                pins.setdefault(action, set()).add(f"{sha}{rest}")
    assert {action: shas for action, shas in pins.items() if len(shas) > 1} == {}


def test_init_writes_the_pinned_actions_and_says_how_to_pin_its_own(tmp_path: Path) -> None:
    assert main(["init", str(tmp_path)], stderr=io.StringIO()) == 0
    for name in ("mlops.yml", "mlops-report.yml"):
        text = (tmp_path / ".github" / "workflows" / name).read_text(encoding="utf-8")
        steps = [
            step["uses"]
            for job in yaml.safe_load(text)["jobs"].values()
            for step in job["steps"]
            if "uses" in step
        ]
        assert [s for s in steps if not s.startswith(f"{OWN_ACTION}@")]
        for uses in steps:
            assert uses == f"{OWN_ACTION}@v1" or PINNED.match(uses), uses
        assert "@<40-hex SHA> # v1.x.y" in text  # how to pin mlops-ci's own action
