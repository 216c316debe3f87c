from __future__ import annotations

import re
import subprocess

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlops_ci.registry.tags import (
    Action,
    RegistryTag,
    bump_version,
    format_tag,
    is_valid_model,
    is_valid_version,
    model_fullname,
    parse_tag,
    ref_name_problem,
    version_key,
)

# GTO 1.10's own expression (gto/constants.py), the reference our split-based parser must match.
GTO_TAG_RE = re.compile(
    r"^(?P<artifact>(?P<dirname>[a-zA-Z0-9-_./]+=)?(?P<name>[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?))"
    r"(((#(?P<stage>[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?)|@(?P<version>v(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-]"
    r"[0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?))(?P<cancel>!?))"
    r"|@((?P<deprecated>deprecated)|(?P<created>created)))(#(?P<counter>[0-9]+))?$"
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("churn@v1.4.0", RegistryTag("churn", Action.REGISTER, version="v1.4.0")),
        ("churn@v1.4.0!", RegistryTag("churn", Action.DEREGISTER, version="v1.4.0")),
        ("churn@v1.4.0#7", RegistryTag("churn", Action.REGISTER, version="v1.4.0", counter=7)),
        ("churn#production#3", RegistryTag("churn", Action.ASSIGN, stage="production", counter=3)),
        ("churn#production", RegistryTag("churn", Action.ASSIGN, stage="production")),
        ("churn#prod!#4", RegistryTag("churn", Action.UNASSIGN, stage="prod", counter=4)),
        ("churn#prod!", RegistryTag("churn", Action.UNASSIGN, stage="prod")),
        ("churn@deprecated", RegistryTag("churn", Action.DEPRECATE)),
        ("churn@deprecated#9", RegistryTag("churn", Action.DEPRECATE, counter=9)),
        ("models/a=rf@v0.0.1", RegistryTag("models/a:rf", Action.REGISTER, version="v0.0.1")),
        ("dir.x/p_q=n-1#team/prod#2",
         RegistryTag("dir.x/p_q:n-1", Action.ASSIGN, stage="team/prod", counter=2)),
        ("m@v1.0.0-rc.1+build.5",
         RegistryTag("m", Action.REGISTER, version="v1.0.0-rc.1+build.5")),
        ("Model_A@v2.0.0", RegistryTag("Model_A", Action.REGISTER, version="v2.0.0")),
    ],
)
def test_parses_every_gto_form(name: str, expected: RegistryTag) -> None:
    assert parse_tag(name) == expected
    assert format_tag(expected) == name


@pytest.mark.parametrize(
    "name",
    [
        "v1.0.0", "churn", "churn@1.0.0", "churn@v1.0", "churn@v01.0.0", "churn@v1.0.0#",
        "churn@v1.0.0#x", "-churn@v1.0.0", "churn-@v1.0.0", "churn#", "churn#-prod#1",
        "churn#prod#1#2", "churn@created", "a=b=c@v1.0.0", "churn@v1.0.0!!", "@v1.0.0",
        "churn#prod##1", "churn@deprecated!", "churn@V1.0.0", "churn#prod#¹",
    ],
)
def test_rejects_what_gto_rejects(name: str) -> None:
    assert parse_tag(name) is None


tag_alphabet = st.sampled_from([*"ab1-_/.=@#!v0+", "v1.0.0", "@v", "#1", "deprecated"])


def _gto_reading(name: str) -> RegistryTag | None:
    """What GTO's expression reads in ``name``, as a RegistryTag."""
    match = GTO_TAG_RE.fullmatch(name)
    if match is None or match["created"]:
        return None
    dirname = match["dirname"]
    model = f"{dirname[:-1]}:{match['name']}" if dirname else match["name"]
    counter = int(match["counter"]) if match["counter"] else None
    cancel = bool(match["cancel"])
    if match["deprecated"]:
        return RegistryTag(model, Action.DEPRECATE, counter=counter)
    if match["version"]:
        action = Action.DEREGISTER if cancel else Action.REGISTER
        return RegistryTag(model, action, version=match["version"], counter=counter)
    action = Action.UNASSIGN if cancel else Action.ASSIGN
    return RegistryTag(model, action, stage=match["stage"], counter=counter)


@given(st.lists(tag_alphabet, max_size=12).map("".join))
def test_agrees_with_gtos_expression(name: str) -> None:
    assert parse_tag(name) == _gto_reading(name)


@given(st.builds("{}{}{}".format, st.from_regex(r"[a-z0-9][a-z0-9=/_-]{0,6}", fullmatch=True),
                 st.sampled_from(["@", "#", "@v", "#prod#", "#prod!#"]),
                 st.text(alphabet="0123456789.v!#@-+a", max_size=10)))
def test_the_common_forms_read_as_gtos_expression_reads_them(name: str) -> None:
    """``NAME@vX.Y.Z`` and ``NAME#STAGE#N`` take a shorter path: near misses must not."""
    assert parse_tag(name) == _gto_reading(name)


@given(st.text(max_size=60))
def test_never_raises_on_arbitrary_strings(name: str) -> None:
    parsed = parse_tag(name)
    assert parsed is None or parse_tag(format_tag(parsed)) == parsed


names = st.from_regex(r"[a-z0-9]([a-z0-9_/-]{0,6}[a-z0-9])?", fullmatch=True)
versions = st.builds(
    lambda a, b, c, pre: f"v{a}.{b}.{c}" + (f"-{pre}" if pre else ""),
    st.integers(0, 30), st.integers(0, 30), st.integers(0, 300),
    st.sampled_from(["", "rc.1", "alpha", "beta.2"]),
)
counters = st.none() | st.integers(1, 10**6)


@st.composite
def registry_tags(draw: st.DrawFn) -> RegistryTag:
    folder = draw(st.none() | st.from_regex(r"[a-z0-9._/-]{1,8}", fullmatch=True))
    model = model_fullname(draw(names), folder) if folder and folder.strip("/") else draw(names)
    action = draw(st.sampled_from(list(Action)))
    counter = draw(counters)
    if action in (Action.REGISTER, Action.DEREGISTER):
        return RegistryTag(model, action, version=draw(versions), counter=counter)
    if action in (Action.ASSIGN, Action.UNASSIGN):
        return RegistryTag(model, action, stage=draw(names), counter=counter)
    return RegistryTag(model, action, counter=counter)


@given(registry_tags())
def test_format_then_parse_round_trips(tag: RegistryTag) -> None:
    text = format_tag(tag)
    assert parse_tag(text) == tag
    assert format_tag(parse_tag(text)) == text  # type: ignore[arg-type]


def test_leading_zero_counter_reads_as_gto_reads_it() -> None:
    parsed = parse_tag("m#prod#007")
    assert parsed is not None and parsed.counter == 7


def test_subfolder_model_names() -> None:
    assert model_fullname("rf", "models/a/") == "models/a:rf"
    assert is_valid_model("models/a:rf")
    assert not is_valid_model("models/a:rf:x")
    assert not is_valid_model("-rf")


def test_semver_precedence() -> None:
    ordered = ["v1.0.0-alpha", "v1.0.0-alpha.1", "v1.0.0-alpha.beta", "v1.0.0-beta",
               "v1.0.0-beta.2", "v1.0.0-beta.11", "v1.0.0-rc.1", "v1.0.0", "v1.2.0", "v10.0.0"]
    shuffled = ordered[::-1]
    assert sorted(shuffled, key=version_key) == ordered
    assert all(is_valid_version(v) for v in ordered)


@pytest.mark.parametrize(
    ("version", "part", "expected"),
    [("v1.2.3", "patch", "v1.2.4"), ("v1.2.3", "minor", "v1.3.0"), ("v1.2.3", "major", "v2.0.0"),
     ("v1.2.0-rc.1", "patch", "v1.2.1")],
)
def test_bump_like_gto(version: str, part: str, expected: str) -> None:
    assert bump_version(version, part) == expected  # type: ignore[arg-type]



def check_ref_format(tag: str) -> bool:
    done = subprocess.run(["git", "check-ref-format", f"refs/tags/{tag}"], check=False)
    return done.returncode == 0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a//b", "empty path component"),
        ("x/../y=churn", "contains '..'"),
        (".hidden=churn", "starting with '.'"),
        ("./models=churn", "starting with '.'"),
        ("a.lock/b=churn", "folder ending in '.lock'"),
    ],
)
def test_names_git_refuses_in_a_tag_are_named(text: str, problem: str) -> None:
    found = ref_name_problem(text)
    assert found is not None and problem in found
    assert not check_ref_format(f"{text}@v1.0.0")


def test_a_component_too_long_for_a_file_name_is_named() -> None:
    found = ref_name_problem("c" * 201)
    assert found is not None and "longer than 200 bytes" in found


@pytest.mark.parametrize("text", ["churn", "models/a=rf", "a.lock=churn", "team/prod", "c" * 200])
def test_names_git_keeps_have_no_problem(text: str) -> None:
    assert ref_name_problem(text) is None
    assert check_ref_format(f"{text}@v1.0.0")
