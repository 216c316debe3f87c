"""The registry's tag grammar as GTO 1.10 writes and reads it. Pure: strings in, values out.

Tag forms (``NAME`` is the model's name in the tag, ``dir/path=name`` for a model kept in a
subfolder, which GTO and mlops.yaml spell ``dir/path:name``):

=================  ==========================  =========================================
registration       ``NAME@vX.Y.Z``              optionally ``#N``
deregistration     ``NAME@vX.Y.Z!``             optionally ``#N``
stage assignment   ``NAME#STAGE#N``             ``NAME#STAGE`` (GTO's "simple" form) too
unassignment       ``NAME#STAGE!#N``            ``NAME#STAGE!`` too
deprecation        ``NAME@deprecated``          optionally ``#N``
=================  ==========================  =========================================

``N`` is one counter per model shared by every stage: a new tag takes the highest ``N`` among the
model's tags plus one. Versions are full semantic versions with a required ``v`` (prerelease and
build metadata allowed, no leading zeros). Names and stages follow GTO's rule
``[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?``; a subfolder may use ``[a-zA-Z0-9-_./]``.

:func:`parse_tag` is called once per tag of a repository with 100,000 tags, so it splits strings
and checks each part with a precompiled expression, and caches names it has already checked. It
never raises: anything that is not a registry tag gives ``None``. GTO's ``NAME@created`` form is
matched by GTO's expression but crashes GTO's own reader, so it is not treated as a registry tag.
"""

from __future__ import annotations

import enum
import re
from typing import Literal, NamedTuple

NAME_PATTERN = r"[a-zA-Z0-9]([a-zA-Z0-9-/_]*[a-zA-Z0-9])?"
DIRNAME_PATTERN = r"[a-zA-Z0-9-_./]+"
SEMVER_PATTERN = (
    r"(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<prerelease>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?P<buildmetadata>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
_NAME_RE = re.compile(NAME_PATTERN)
_DIRNAME_RE = re.compile(DIRNAME_PATTERN)
_SEMVER_RE = re.compile(SEMVER_PATTERN)
_PLAIN_VERSION_RE = re.compile(r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
# The two commonest forms, split in one match; what it takes is checked as the general path
# checks it (model and stage by name, a version with no prerelease or build is valid as is).
_COMMON_FORM_RE = re.compile(
    r"([^@#]+)(?:@(v(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*))|#([^@#!]+)#([0-9]+))"
)

MAX_TAG_COMPONENT = 250  # bytes: a loose ref is a file, NAME.lock, and a file name holds 255
MAX_REF_COMPONENT = 200  # bytes of a model or stage: room for "@v1.2.3" or "#stage#N" after it

SEPARATOR_IN_NAME = ":"
SEPARATOR_IN_TAG = "="
DEPRECATED = "deprecated"


# GTO's event priority: it orders events that carry the same tagger time.
_PRIORITY = {
    "deprecation": 2,
    "registration": 3,
    "deregistration": 4,
    "assignment": 5,
    "unassignment": 6,
}


class Action(enum.Enum):
    """What a registry tag does. The value is GTO's event name (``gto history``'s ``event``)."""

    REGISTER = "registration"
    DEREGISTER = "deregistration"
    ASSIGN = "assignment"
    UNASSIGN = "unassignment"
    DEPRECATE = "deprecation"

    def __init__(self, value: str) -> None:
        # A plain attribute, not a property over a dict keyed by members: folding 100,000 tags
        # reads it for each, and an enum member's hash runs in Python.
        self.priority: int = _PRIORITY[value]


class RegistryTag(NamedTuple):
    """One parsed registry tag. ``model`` uses GTO's name form (``dir/path:name``).

    A NamedTuple, not a frozen dataclass: one is made per tag when the registry is read (100,000
    in the benchmark), and a tuple is made about five times faster.
    """

    model: str
    action: Action
    version: str | None = None  # REGISTER and DEREGISTER only, with its "v"
    stage: str | None = None  # ASSIGN and UNASSIGN only
    counter: int | None = None

    def format(self) -> str:
        return format_tag(self)


def is_valid_name(value: str) -> bool:
    """A model (without subfolder) or stage name GTO accepts."""
    return _NAME_RE.fullmatch(value) is not None


def is_valid_model(value: str) -> bool:
    """A model name GTO accepts, optionally with a subfolder: ``name`` or ``dir/path:name``."""
    folder, sep, name = value.rpartition(SEPARATOR_IN_NAME)
    if sep and _DIRNAME_RE.fullmatch(folder) is None:
        return False
    return _NAME_RE.fullmatch(name) is not None


def is_valid_version(value: str) -> bool:
    """A version GTO accepts: ``v`` then a semantic version."""
    return value[:1] == "v" and _SEMVER_RE.fullmatch(value, 1) is not None


def ref_name_problem(text: str) -> str | None:
    """Why git cannot keep tags that hold ``text`` (a model as ``model_in_tag`` writes it, or
    a stage), or ``None`` when it can.

    The grammar lets through a few spellings that ``git check-ref-format`` refuses: an empty
    path component (``a//b``), a component that starts with ``.``, a folder that ends in
    ``.lock``, and ``..`` anywhere. Each component must also leave room, within the file name
    a loose ref is, for what follows it in a tag: at most ``MAX_REF_COMPONENT`` bytes.
    """
    return _spelling_problem(text) or _length_problem(text, MAX_REF_COMPONENT)


def tag_name_problem(tag: str) -> str | None:
    """Why git cannot keep the tag named ``tag``, or ``None`` when it can.

    Names whose model and stage pass :func:`ref_name_problem` can still fail together: too
    long for a file name once git adds ``.lock``, or ending in ``.lock`` (``v1.0.0+a.lock``).
    """
    if tag.endswith(".lock"):
        return "ends in '.lock'"
    return _spelling_problem(tag) or _length_problem(tag, MAX_TAG_COMPONENT)


def _spelling_problem(text: str) -> str | None:
    if ".." in text:
        return "contains '..'"
    components = text.split("/")
    for index, component in enumerate(components):
        if not component:
            return "has an empty path component ('//', or a '/' at either end)"
        if component.startswith("."):
            return f"has a path component starting with '.' ({component[:40]!r})"
        if component.endswith(".lock") and index < len(components) - 1:
            return f"has a folder ending in '.lock' ({component[:40]!r})"
    return None


def _length_problem(text: str, limit: int) -> str | None:
    if any(len(component.encode()) > limit for component in text.split("/")):
        return f"has a path component longer than {limit} bytes"
    return None


def model_in_tag(model: str) -> str:
    """``dir/path:name`` as it appears in a tag: ``dir/path=name``."""
    return model.replace(SEPARATOR_IN_NAME, SEPARATOR_IN_TAG)


def model_fullname(name: str, path: str | None) -> str:
    """The registry name of a model kept in ``path`` (mlops.yaml's ``models.NAME.path``)."""
    return f"{path.strip('/')}{SEPARATOR_IN_NAME}{name}" if path else name


def format_tag(tag: RegistryTag) -> str:
    """The tag name for ``tag``; ``parse_tag(format_tag(t)) == t`` for every valid ``t``."""
    base = model_in_tag(tag.model)
    if tag.action is Action.REGISTER:
        text = f"{base}@{tag.version}"
    elif tag.action is Action.DEREGISTER:
        text = f"{base}@{tag.version}!"
    elif tag.action is Action.ASSIGN:
        text = f"{base}#{tag.stage}"
    elif tag.action is Action.UNASSIGN:
        text = f"{base}#{tag.stage}!"
    else:
        text = f"{base}@{DEPRECATED}"
    return text if tag.counter is None else f"{text}#{tag.counter}"


def tag_prefixes(model: str) -> tuple[str, str]:
    """Every registry tag of ``model`` starts with one of these (for narrow fetch refspecs)."""
    base = model_in_tag(model)
    return f"{base}@", f"{base}#"


_checked_models: dict[str, str | None] = {}
_checked_stages: dict[str, bool] = {}
# RegistryTag's own __new__ is a Python function taking keywords; tuple's is not.
_new = tuple.__new__


def _model_from_tag(text: str) -> str | None:
    folder, sep, name = text.rpartition(SEPARATOR_IN_TAG)
    ok = _NAME_RE.fullmatch(name) is not None and (
        not sep or _DIRNAME_RE.fullmatch(folder) is not None
    )
    model = (f"{folder}{SEPARATOR_IN_NAME}{name}" if sep else name) if ok else None
    if len(_checked_models) < 100_000:
        _checked_models[text] = model
    return model


def _stage_ok(stage: str) -> bool:
    known = _checked_stages.get(stage)
    if known is None:
        known = _NAME_RE.fullmatch(stage) is not None
        if len(_checked_stages) < 10_000:
            _checked_stages[stage] = known
    return known


def _counter(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def parse_tag(name: str) -> RegistryTag | None:
    """The registry tag ``name`` spells, or ``None`` when it is not one. Never raises."""
    common = _COMMON_FORM_RE.fullmatch(name)
    if common is not None:  # NAME@vX.Y.Z or NAME#STAGE#N: nine tags in ten, one expression
        prefix, version, stage, counter = common.groups()
        model = _checked_models.get(prefix, "")
        if model == "":
            model = _model_from_tag(prefix)
        if model is None:
            return None
        if version is not None:
            return _new(RegistryTag, (model, Action.REGISTER, version, None, None))
        if not _stage_ok(stage):
            return None
        return _new(RegistryTag, (model, Action.ASSIGN, None, stage, int(counter)))
    at = name.find("@")
    hash_ = name.find("#")
    if at < 0 and hash_ < 0:
        return None
    split = at if hash_ < 0 or (0 <= at < hash_) else hash_
    prefix = name[:split]
    model = _checked_models.get(prefix, "")
    if model == "":
        model = _model_from_tag(prefix)
    if model is None:
        return None
    rest = name[split + 1 :]
    if split == at:
        return _parse_at(model, rest)
    return _parse_hash(model, rest)


def _parse_at(model: str, rest: str) -> RegistryTag | None:
    body, sep, counter_text = rest.partition("#")
    counter = None
    if sep:
        counter = _counter(counter_text)
        if counter is None:
            return None
    if body == DEPRECATED:
        return _new(RegistryTag, (model, Action.DEPRECATE, None, None, counter))
    cancel = body[-1:] == "!"
    version = body[:-1] if cancel else body
    if version[:1] != "v" or _SEMVER_RE.fullmatch(version, 1) is None:
        return None
    action = Action.DEREGISTER if cancel else Action.REGISTER
    return _new(RegistryTag, (model, action, version, None, counter))


def _parse_hash(model: str, rest: str) -> RegistryTag | None:
    stage, sep, counter_text = rest.partition("#")
    counter = None
    if sep:
        counter = _counter(counter_text)
        if counter is None:
            return None
    cancel = stage[-1:] == "!"
    if cancel:
        stage = stage[:-1]
    if not _stage_ok(stage):
        return None
    action = Action.UNASSIGN if cancel else Action.ASSIGN
    return _new(RegistryTag, (model, action, None, stage, counter))


def register_message(model: str, version: str) -> str:
    """GTO's default annotation of a registration tag (its first line, in our tags)."""
    return f"Registering artifact {model} version {version}"


def deregister_message(model: str, version: str) -> str:
    return f"Deregistering artifact {model} version {version}"


def assign_message(model: str, version: str, stage: str) -> str:
    return f"Assigning stage {stage} to artifact {model} version {version}"


def unassign_message(model: str, version: str, stage: str) -> str:
    return f"Unassigning stage '{stage}' to artifact '{model}' version '{version}'"


def deprecate_message(model: str) -> str:
    return f"Deprecating artifact '{model}'"


def _prerelease_key(text: str) -> tuple[tuple[int, int, str], ...]:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in text.split("."))


def version_key(version: str) -> tuple[object, ...]:
    """Sort key giving semantic-version precedence (build metadata last, as a tie-break only).

    A release sorts above its prereleases; numeric prerelease parts sort numerically and below
    alphanumeric ones. Call only with a valid version (see :func:`is_valid_version`).
    """
    plain = _PLAIN_VERSION_RE.fullmatch(version)
    if plain is not None:  # the common "vX.Y.Z": no prerelease, no build, no groups by name
        major, minor, patch = plain.groups()
        return (int(major), int(minor), int(patch), (1, ()), "")
    match = _SEMVER_RE.fullmatch(version, 1)
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    release = (int(match["major"]), int(match["minor"]), int(match["patch"]))
    pre = match["prerelease"]
    pre_key = (1, ()) if pre is None else (0, _prerelease_key(pre))
    return (*release, pre_key, match["buildmetadata"] or "")


Bump = Literal["major", "minor", "patch"]


def bump_version(version: str, part: Bump) -> str:
    """The next version, as GTO bumps it: prerelease and build metadata are dropped."""
    match = _SEMVER_RE.fullmatch(version, 1)
    if match is None:
        raise ValueError(f"not a version: {version!r}")
    major, minor, patch = int(match["major"]), int(match["minor"]), int(match["patch"])
    if part == "major":
        return f"v{major + 1}.0.0"
    if part == "minor":
        return f"v{major}.{minor + 1}.0"
    if part == "patch":
        return f"v{major}.{minor}.{patch + 1}"
    raise ValueError(f"unknown bump {part!r}")
