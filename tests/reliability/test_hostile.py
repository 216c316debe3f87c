"""Hostile input: names, configs, event payloads and data files an attacker or an accident made.

The promise: exit 2 with a precise message, or an inert rendering; never a traceback, never a
shell that runs a name (a ``$(touch SENTINEL)`` never creates the file), never markdown that
obeys a name (checked by rendering with markdown-it).
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_ci.cli import main
from tests.config.test_fuzz import mutate, paths_of, values
from tests.fakegithub import FakeGitHub
from tests.reliability.hostile import REPORT_MARKER, hostile_texts, inert_problems
from tests.reliability.world import (
    PR,
    REPOSITORY,
    World,
    make_world,
    pr_payload,
    push_payload,
)

RUNNER_VARIABLES = ("GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_TOKEN",
                    "INPUT_GITHUB_TOKEN", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH",
                    "GITHUB_RUN_ID", "GITHUB_REPOSITORY", "MLOPS_CI_DEBUG")
SENTINEL_NAME = "pwned"


@pytest.fixture
def world(tmp_path: Path, fake_github: FakeGitHub) -> World:
    return make_world(tmp_path / "world", fake_github)


@pytest.fixture
def local_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` as on a laptop: no runner, no token (the outbox is the forge)."""
    for name in RUNNER_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def cli(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = main(list(args), stderr=err)
    return code, out.getvalue() + err.getvalue()


def assert_no_crash(code: int, output: str) -> None:
    assert code in (0, 1, 2), output
    assert "Traceback" not in output and "internal error" not in output, output


# the checker itself ------------------------------------------------------------------------


def test_the_inert_check_catches_what_it_looks_for() -> None:
    raw = ("<img src=x onerror=alert(1)>\n\n[a](https://evil.example) @everyone\n\n"
           f"{REPORT_MARKER}\n{REPORT_MARKER}\n")
    problems = inert_problems(raw)
    assert any("raw HTML" in p for p in problems)
    assert any("evil.example" in p for p in problems)
    assert "a live @mention" in problems and "a spoofed report marker" in problems
    assert inert_problems("<details><summary>ok &lt;b&gt;</summary>\n\nx\n</details>\n") == []


# hostile names in a real run ---------------------------------------------------------------


@pytest.mark.parametrize("index", range(len(hostile_texts(Path("/s")))))
def test_hostile_branch_and_title_render_inert_and_run_nothing(
    world: World, fake_github: FakeGitHub, index: int
) -> None:
    sentinel = world.root / SENTINEL_NAME
    text = hostile_texts(sentinel)[index]

    result = world.run("pull_request", pr_payload(world.head(), branch=text, title=text), 100)

    [comment] = fake_github.repo(REPOSITORY).comments(PR)
    assert result.exit_code == 0, result.log
    assert inert_problems(comment.body) == []
    assert inert_problems(result.summary) == []
    assert not sentinel.exists()


def test_hostile_column_names_in_the_data_are_reported_inert(
    world: World, fake_github: FakeGitHub
) -> None:
    sentinel = world.root / SENTINEL_NAME
    names = hostile_texts(sentinel)[:11]
    train = world.repo / "data" / "train.csv"
    lines = train.read_text(encoding="utf-8").splitlines()
    header = ",".join(json.dumps(name) for name in names)  # CSV-quoted, newlines and all
    lines = [f"{lines[0]},{header}"] + [f"{line}{',1' * len(names)}" for line in lines[1:]]
    train.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = world.pr_run()

    assert result.exit_code in (1, 2), result.log
    assert "Traceback" not in result.log
    assert not sentinel.exists()
    comments = fake_github.repo(REPOSITORY).comments(PR)
    for text in [c.body for c in comments] + [result.summary]:
        assert inert_problems(text) == []
    if result.exit_code == 1:
        assert "unexpected" in comments[0].body or "extra" in comments[0].body


@pytest.mark.parametrize("tag", [
    "churn#production$(touch {s})#1",
    "churn#`touch {s}`#1",
    "<img src=x>@v1.0.0",
    "churn@v1.0.0\nchurn#production#2",
    "churn#production#" + "9" * 400,
])
def test_hostile_tag_pushes_plan_nothing_or_exit_2(world: World, tag: str) -> None:
    sentinel = world.root / SENTINEL_NAME
    ref = "refs/tags/" + tag.format(s=sentinel)

    result = world.run("push", push_payload(world.head(), ref=ref), 300)

    assert result.exit_code in (0, 2), result.log
    assert "Traceback" not in result.log
    assert not sentinel.exists()
    assert world.fake.writes() == []


def test_hostile_stage_name_on_the_command_line_is_refused(
    world: World, local_cli: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    sentinel = world.root / SENTINEL_NAME
    monkeypatch.chdir(world.repo)
    assert world.merge_run().exit_code == 0

    code, output = cli("registry", "promote", "churn", "v0.1.0", f"prod$(touch {sentinel})")

    assert code == 2, output
    assert "stage" in output and "Traceback" not in output
    assert not sentinel.exists()


@pytest.mark.parametrize(("old", "new", "where"), [
    ("metric: roc_auc, min: 0.70", "metric: 'roc_auc$(touch {s})', min: 0.70",
     "evaluate.gates[0].metric"),
    ("  churn:\n    description", "  'churn<img src=x>':\n    description", "models"),
    ("target: churned", "target: '`touch {s}`'", "data.target"),
])
def test_hostile_names_in_the_config_are_exit_2_with_file_line_and_path(
    world: World, local_cli: None, old: str, new: str, where: str
) -> None:
    sentinel = world.root / SENTINEL_NAME
    config = world.repo / "mlops.yaml"
    text = config.read_text(encoding="utf-8")
    assert old in text
    config.write_text(text.replace(old, new.format(s=sentinel)), encoding="utf-8")

    code, output = cli("run", "-c", str(config), "--dry-run")

    assert code == 2, output
    assert f"{config}:" in output and where.split("[")[0] in output
    assert "Traceback" not in output
    assert not sentinel.exists()


# broken data files ---------------------------------------------------------------------------

TRAIN = (Path(__file__).resolve().parents[2] / "mlops_ci" / "examples" / "churn" / "data"
         / "train.csv")
BAD_DATA = {
    "empty": (b"", "the file is empty"),
    "binary": (bytes(range(256)) * 40, ""),
    "huge_line": (b"customer_id,tenure_months\n" + b"7" * 2_000_000 + b"\n", ":2:"),
    "latin1": (TRAIN.read_bytes().replace(b"north", "n\xf6rth".encode("latin-1"), 3),
               "not valid UTF-8"),
    "nul_bytes": (TRAIN.read_bytes()[:2000] + b"\x00\x00\n", ""),
}


@pytest.mark.parametrize("kind", sorted(BAD_DATA))
def test_broken_data_file_is_exit_2_naming_the_file(
    world: World, local_cli: None, kind: str
) -> None:
    data, message = BAD_DATA[kind]
    train = world.repo / "data" / "train.csv"
    train.write_bytes(data)

    code, output = cli("data", "validate", "-c", str(world.repo / "mlops.yaml"))
    run = world.pr_run()

    for exit_code, text in ((code, output), (run.exit_code, run.log)):
        assert exit_code == 2, text
        assert f"{train}" in text and message in text
        assert "Traceback" not in text


# fuzzing -----------------------------------------------------------------------------------

FUZZ_SETTINGS = settings(
    max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def fuzz_world(tmp_path: Path) -> Iterator[Path]:
    """The cheap example's workspace (no GitHub: runs use the outbox)."""
    with FakeGitHub() as fake:
        world = make_world(tmp_path / "fuzz", fake)
    yield world.repo
    shutil.rmtree(world.root, ignore_errors=True)


ORIGINAL_CONFIG: dict[Path, str] = {}  # per workspace: the config before the first mutation


def event_file(root: Path, payload: Any) -> Path:
    path = root / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    return path


@pytest.mark.slow
@FUZZ_SETTINGS
@given(data=st.data())
def test_fuzzed_config_plans_and_runs_without_a_traceback(
    fuzz_world: Path, local_cli: None, data: st.DataObject
) -> None:
    config = fuzz_world / "mlops.yaml"
    original = yaml.safe_load(ORIGINAL_CONFIG.get(config) or config.read_text(encoding="utf-8"))
    ORIGINAL_CONFIG.setdefault(config, yaml.safe_dump(original))
    path = data.draw(st.sampled_from(paths_of(original)[1:]), label="path")
    action = data.draw(st.sampled_from(["replace", "delete", "rename"]), label="action")
    value = data.draw(values, label="value")
    config.write_text(yaml.safe_dump(mutate(original, path, action, value)), encoding="utf-8")
    event = event_file(fuzz_world.parent, pr_payload("a" * 40))

    for command in ("plan", "run"):
        extra = ["--dry-run"] if command == "run" else []
        code, output = cli(command, "-c", str(config), "--event-name", "pull_request",
                           "--event-path", str(event), *extra)
        assert_no_crash(code, output)
        if code == 2:
            assert "error" in output


EVENT_NAMES = ["pull_request", "pull_request_target", "push", "schedule", "release",
               "workflow_dispatch", "repository_dispatch", "create", "issues", "nonsense"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=4),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(EVENT_NAMES),
    base=st.sampled_from(["pr", "push", "tag", "none"]),
    data=st.data(),
)
def test_fuzzed_event_payloads_plan_or_exit_2(
    fuzz_world: Path, local_cli: None, name: str, base: str, data: st.DataObject
) -> None:
    payload: Any = {
        "pr": pr_payload("b" * 40),
        "push": push_payload("c" * 40),
        "tag": push_payload("d" * 40, ref="refs/tags/churn#production#3"),
        "none": data.draw(json_values, label="payload"),
    }[base]
    if base != "none":
        path = data.draw(st.sampled_from(paths_of(payload)), label="path")
        payload = mutate(payload, path, data.draw(st.sampled_from(["replace", "delete"])),
                         data.draw(json_values, label="value"))
    event = event_file(fuzz_world.parent, payload)

    code, output = cli("plan", "-c", str(fuzz_world / "mlops.yaml"), "--event-name", name,
                       "--event-path", str(event))

    assert code in (0, 2), output
    assert "Traceback" not in output and "internal error" not in output


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"[1, 2", b"null", b"{}" * 3])
def test_unreadable_event_file_is_exit_2_naming_it(
    fuzz_world: Path, local_cli: None, content: bytes
) -> None:
    event = fuzz_world.parent / "event.json"
    event.write_bytes(content)

    code, output = cli("plan", "-c", str(fuzz_world / "mlops.yaml"), "--event-name", "push",
                       "--event-path", str(event))

    assert code == 2, output
    assert str(event) in output or "event" in output
    assert "Traceback" not in output
