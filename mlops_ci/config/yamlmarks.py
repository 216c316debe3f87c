"""YAML to plain data, keeping where every key and value came from.

PyYAML's loaders lose positions and silently keep the last of two equal keys, and PyYAML
reads YAML 1.1, where ``on``/``no``/``yes`` are booleans and ``08`` is a string but ``07`` an
octal. mlops-ci reads plain scalars by the YAML 1.2 core schema instead: only
``true``/``false`` are booleans, ``null``/``~``/empty is null, decimal (and ``0x``/``0o``)
integers and floats are numbers, everything else (``yes``, ``on``, ``08``, dates) is a string.
Mapping keys are always the text as written. Where the schema wants a string and YAML read
a number or boolean (``version: 1.10``), the loader turns the value back into the text as
written (see ``Document.as_written``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import yaml

from mlops_ci.errors import Problem

PathPart = str | int
YamlPath = tuple[PathPart, ...]

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)\Z")
_INT_BASE = re.compile(r"[-+]?0(?:x[0-9a-fA-F_]+|o[0-7_]+)\Z")
_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?\Z")
_INF = re.compile(r"[-+]?\.(?:inf|Inf|INF)\Z")
_NAN = re.compile(r"\.(?:nan|NaN|NAN)\Z")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})
YAML11_BOOLEANS = frozenset(
    {"yes", "no", "on", "off", "y", "n"}
    | {w.capitalize() for w in ("yes", "no", "on", "off", "y", "n")}
    | {w.upper() for w in ("yes", "no", "on", "off", "y", "n")}
)
LEADING_ZERO = re.compile(r"[-+]?0[0-9]+\Z")

_STR_TAG = "tag:yaml.org,2002:str"
_EXPLICIT_TAGS: dict[str, Callable[[str], object]] = {
    "tag:yaml.org,2002:int": int,
    "tag:yaml.org,2002:float": float,
    "tag:yaml.org,2002:bool": _TRUE.__contains__,
    "tag:yaml.org,2002:null": lambda _text: None,
}


class _TextOnlyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Composes nodes without resolving plain scalars: we resolve them ourselves."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012


@dataclass(frozen=True, slots=True)
class Mark:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(slots=True)
class Document:
    """The loaded data plus the position of every value and key, by YAML path."""

    data: object
    value_marks: dict[YamlPath, Mark] = field(default_factory=dict)
    key_marks: dict[YamlPath, Mark] = field(default_factory=dict)
    plain_text: dict[YamlPath, str] = field(default_factory=dict)

    def mark_of(self, path: YamlPath) -> Mark:
        """The value's position, else its key's, else the nearest enclosing one's."""
        probe = path
        while True:
            if probe in self.value_marks:
                return self.value_marks[probe]
            if probe in self.key_marks:
                return self.key_marks[probe]
            if not probe:
                return Mark(1, 1)
            probe = probe[:-1]

    def key_mark_of(self, path: YamlPath) -> Mark:
        return self.key_marks.get(path) or self.mark_of(path)

    def as_written(self, path: YamlPath) -> str | None:
        """The source text of a plain scalar that YAML read as a number or boolean."""
        return self.plain_text.get(path)


def format_path(path: YamlPath) -> str:
    """``("models", "churn", "gates", 0, "min")`` -> ``models.churn.gates[0].min``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            out += f".{part}" if out else part
        else:
            quoted = part.replace("\\", "\\\\").replace('"', '\\"')
            out += f'["{quoted}"]'
    return out


def resolve_plain(text: str) -> object:
    """A plain (unquoted) scalar by the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if LEADING_ZERO.match(text):
        return text  # "08": octal in YAML 1.1, a number in 1.2, a zip code to its author
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _INT_BASE.match(text):
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-").replace("_", "")
        return sign * int(digits, 0)
    if _FLOAT.match(text) and any(c.isdigit() for c in text):
        return float(text.replace("_", ""))
    if _INF.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN.match(text):
        return math.nan
    return text


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.doc = Document(data=None)
        self.budget = 100_000  # nodes; aliases can make a tiny file expand without bound

    def problem(self, node: yaml.Node, path: YamlPath, message: str, hint: str | None) -> None:
        mark = node.start_mark
        self.problems.append(
            Problem(self.file, mark.line + 1, mark.column + 1, format_path(path), message, hint)
        )

    def build(self, node: yaml.Node, path: YamlPath, depth: int = 0) -> object:
        self.doc.value_marks.setdefault(path, _mark(node))
        self.budget -= 1
        if depth > 64 or self.budget < 0:
            if self.budget > -2:
                self.problem(node, path, "document too deep or too large (alias loop?)", None)
            return None
        if isinstance(node, yaml.ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        self.problem(node, path, "unsupported YAML node", None)
        return None

    def scalar(self, node: yaml.ScalarNode, path: YamlPath) -> object:
        plain = not node.style  # the C loader says "" where the Python one says None
        if plain and node.tag == _STR_TAG:
            value = resolve_plain(node.value)
            if not isinstance(value, str) and value is not None:
                self.doc.plain_text[path] = node.value
            return value
        if node.tag == _STR_TAG or not plain:
            return node.value
        explicit = _EXPLICIT_TAGS.get(node.tag)
        if explicit is None:
            self.problem(node, path, f"unsupported YAML tag {node.tag!r}", "remove the tag")
            return node.value
        try:
            return explicit(node.value)
        except ValueError:
            self.problem(node, path, f"{node.value!r} is not a valid {node.tag}", None)
            return node.value

    def mapping(self, node: yaml.MappingNode, path: YamlPath, depth: int) -> dict[str, object]:
        out: dict[str, object] = {}
        for key_node, value_node in self._merged_pairs(node, path):
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "a key must be a plain string", None)
                continue
            key = key_node.value
            child = (*path, key)
            if key in out:
                first = self.doc.key_marks[child]
                self.problem(
                    key_node,
                    child,
                    f"duplicate key {key!r} (first defined at line {first.line})",
                    "YAML keeps only the last one; remove one of them",
                )
                continue
            self.doc.key_marks[child] = _mark(key_node)
            out[key] = self.build(value_node, child, depth + 1)
        return out

    def _merged_pairs(
        self, node: yaml.MappingNode, path: YamlPath
    ) -> Iterator[tuple[yaml.Node, yaml.Node]]:
        """Pairs of a mapping with ``<<`` merge keys expanded (explicit keys win)."""
        own = [(k, v) for k, v in node.value if not _is_merge_key(k)]
        yield from own
        own_keys = {k.value for k, _ in own if isinstance(k, yaml.ScalarNode)}
        for key_node, value_node in node.value:
            if not _is_merge_key(key_node):
                continue
            sources = (
                value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            )
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.problem(
                        source, path, "a << merge needs a mapping or list of mappings", None
                    )
                    continue
                for k, v in source.value:
                    if isinstance(k, yaml.ScalarNode) and k.value not in own_keys:
                        own_keys.add(k.value)
                        yield k, v


def _is_merge_key(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.value == "<<" and not node.style


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def load_document(text: str, file: str) -> tuple[Document, list[Problem]]:
    """Parse one YAML document. Syntax errors and duplicate keys come back as problems."""
    try:
        nodes = list(yaml.compose_all(text, Loader=_TextOnlyLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"invalid YAML: {error.problem or error.context or 'syntax error'}"
        if error.context and error.problem:
            message = f"invalid YAML: {error.problem} ({error.context})"
        return Document(data=None), [Problem(file, line, column, "", message)]
    except yaml.YAMLError as error:
        return Document(data=None), [Problem(file, 1, 1, "", f"invalid YAML: {error}")]
    if len(nodes) > 1:
        second = nodes[1].start_mark
        return Document(data=None), [
            Problem(
                file,
                second.line + 1,
                second.column + 1,
                "",
                "more than one YAML document",
                "mlops.yaml holds one document; remove the '---' separator",
            )
        ]
    builder = _Builder(file)
    if nodes:
        builder.doc.data = builder.build(nodes[0], ())
    return builder.doc, builder.problems
