"""Schema errors as problems a user can act on: every one, each at its line and YAML path.

jsonschema reports what failed in schema terms and repeats the whole offending instance; a
user wants "line 31: models.churn.evaluate.gates[0]: unknown key 'mni' (did you mean 'min'?)".
This module walks ``iter_errors`` and says that.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mlops_ci.config.yamlmarks import (
    LEADING_ZERO,
    YAML11_BOOLEANS,
    Document,
    YamlPath,
    format_path,
)
from mlops_ci.errors import Problem

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def schema_problems(doc: Document, schema: Mapping[str, Any], file: str) -> list[Problem]:
    """Validate ``doc.data`` in place and return every problem, de-duplicated.

    Values YAML read as numbers or booleans where the schema wants a string are first put
    back to the text as written (``version: 1.10`` stays ``"1.10"``), then validation reruns.
    """
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    errors = list(validator.iter_errors(doc.data))
    for _ in range(5):
        if not _restore_strings(doc, errors):
            break
        errors = list(validator.iter_errors(doc.data))
    tasks = _metric_tasks(schema)
    problems: dict[tuple[int, int, str, str], Problem] = {}
    for error in _narrowest_enums(errors):
        for problem in _describe(error, doc, file, tasks):
            problems.setdefault(
                (problem.line, problem.column, problem.path, problem.message), problem
            )
    return list(problems.values())


def _metric_tasks(schema: Mapping[str, Any]) -> dict[str, str]:
    """Each metric's task, from the schema's ``classificationMetric``/``regressionMetric``."""
    defs = schema.get("$defs", {})
    return {
        str(name): task
        for task in ("classification", "regression")
        for name in defs.get(f"{task}Metric", {}).get("enum", ())
    }


def _narrowest_enums(errors: Sequence[Any]) -> list[Any]:
    """The errors, keeping of several ``enum`` errors on one value only the narrowest.

    A metric is checked twice: against every metric, and against those of the model's task.
    An unknown name fails both; the user needs one problem, with the task's list.
    """
    narrowest: dict[tuple[object, ...], Any] = {}
    for error in errors:
        if error.validator == "enum":
            key = tuple(error.absolute_path)
            kept = narrowest.get(key)
            if kept is None or len(error.validator_value) < len(kept.validator_value):
                narrowest[key] = error
    return [
        error
        for error in errors
        if error.validator != "enum" or narrowest[tuple(error.absolute_path)] is error
    ]


def _walk(errors: Iterable[Any]) -> Iterable[Any]:
    for error in errors:
        yield error
        yield from _walk(error.context or ())


def _restore_strings(doc: Document, errors: Sequence[Any]) -> bool:
    restored = False
    for error in _walk(errors):
        if error.validator != "type" or "string" not in _as_list(error.validator_value):
            continue
        path = tuple(error.absolute_path)
        text = doc.as_written(path)
        if text is None:
            continue
        _set(doc.data, path, text)
        doc.plain_text.pop(path)
        restored = True
    return restored


def _set(data: object, path: YamlPath, value: object) -> None:
    target: Any = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _describe(
    error: Any, doc: Document, file: str, tasks: Mapping[str, str]
) -> list[Problem]:
    path: YamlPath = tuple(error.absolute_path)
    kind = error.validator

    def at(where: YamlPath, message: str, hint: str | None = None, *, key: bool = False) -> Problem:
        mark = doc.key_mark_of(where) if key else doc.mark_of(where)
        return Problem(file, mark.line, mark.column, format_path(where), message, hint)

    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
        extras = [
            key
            for key in error.instance
            if key not in allowed and not any(p.search(key) for p in patterns)
        ]
        return [
            at((*path, key), f"unknown key {key!r}", _did_you_mean(key, allowed), key=True)
            for key in extras
        ]
    if kind == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        return [at(path, f"missing required key {key!r}") for key in missing]
    if "propertyNames" in error.schema_path and isinstance(error.instance, str):
        name_path = (*path, error.instance)
        if kind in ("pattern", "minLength"):
            return [at(name_path, *_name_message(error), key=True)]
        return [at(name_path, *_message(error, doc, name_path), key=True)]
    if kind in ("oneOf", "anyOf"):
        return _describe_alternatives(error, doc, file, at, tasks)
    if error.schema is False:
        key = _forbidden_key(error, doc)
        where = (*path, key) if key is not None else path
        return [at(where, f"{key or _show(error.instance)!r} is not allowed here", key=True)]
    if kind == "enum" and isinstance(error.instance, str) and error.instance in tasks:
        return [at(path, *_task_message(error, doc, path, tasks))]
    return [at(path, *_message(error, doc, path))]


def _task_message(
    error: Any, doc: Document, path: YamlPath, tasks: Mapping[str, str]
) -> tuple[str, str | None]:
    """A known metric refused where only the other task's metrics are allowed."""
    metric = error.instance
    evaluate = _evaluate_of(doc.data, path)
    task = evaluate.get("task") if evaluate is not None else None
    if not isinstance(task, str) or tasks[metric] == task:
        return _message(error, doc, path)
    allowed = ", ".join(str(choice) for choice in error.validator_value)
    return (
        f"{metric!r} is a {tasks[metric]} metric, but evaluate.task is {task!r}",
        f"{task} metrics: {allowed}",
    )


def _evaluate_of(data: object, path: YamlPath) -> Mapping[str, Any] | None:
    """The ``evaluate`` mapping that ``path`` lies in, if any."""
    if "evaluate" not in path:
        return None
    node: Any = data
    for part in path[: path.index("evaluate") + 1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node if isinstance(node, Mapping) else None


def _name_message(error: Any) -> tuple[str, str | None]:
    """An invalid key name (``propertyNames``): what the name may hold, in words."""
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    title = f"{schema.get('title', '')} name".strip()
    if error.validator == "minLength":
        return f"a {title} must not be empty", None
    rule = schema.get("description")
    hint = None if rule is None else f"{title}s use {rule}"
    suggestion = _suggest_name(error.instance, schema.get("pattern"))
    if suggestion is not None:
        hint = f"{hint}; " if hint else ""
        hint += f"did you mean {suggestion!r}?"
    return f"invalid {title} {error.instance!r}", hint


def _suggest_name(name: str, pattern: object) -> str | None:
    """``name`` lowercased with other characters as ``-``, when that is valid."""
    if not isinstance(pattern, str):
        return None
    guess = re.sub(r"[^a-z0-9/-]+", "-", name.lower()).strip("-/")
    return guess if guess and guess != name and re.search(pattern, guess) else None


def _describe_alternatives(
    error: Any, doc: Document, file: str, at: Any, tasks: Mapping[str, str]
) -> list[Problem]:
    from jsonschema.exceptions import best_match

    path: YamlPath = tuple(error.absolute_path)
    exclusive = _exclusive_keys(error.validator_value)
    if exclusive and isinstance(error.instance, dict):
        present = [key for key in exclusive if key in error.instance]
        if len(present) > 1:
            return [at(path, f"set only one of {', '.join(present)}")]
        if not present:
            return [at(path, f"set one of {', '.join(exclusive)}")]
    if not error.context:
        return [at(path, "matches more than one of the allowed forms")]
    if all(tuple(sub.absolute_path) == path for sub in error.context):
        enums = [sub for sub in error.context if sub.validator == "enum"]
        if enums:  # a built-in name or a custom one (a gate's metric): say which names fit
            return _describe(enums[0], doc, file, tasks)
        # Alternatives for the value itself (an integer or a duration string): one message.
        return [
            at(path, f"{_show(error.instance)} is not valid here", error.schema.get("description"))
        ]
    best = best_match(error.context)
    if best is None:
        return [at(path, error.message[:200])]
    return _describe(best, doc, file, tasks)


def _forbidden_key(error: Any, doc: Document) -> str | None:
    """The key a ``false`` subschema forbids.

    jsonschema leaves the key out of both the instance path and the schema path here, so
    find it as the key of the enclosing mapping that holds this very value.
    """
    parts = list(error.schema_path)
    if parts and parts[-1] != "properties" and "properties" in parts[-2:-1]:
        return str(parts[-1])
    container: Any = doc.data
    for part in error.absolute_path:
        container = container[part]
    if isinstance(container, dict):
        for key, value in container.items():
            if value is error.instance:
                return str(key)
    return None


def _exclusive_keys(alternatives: Sequence[Any]) -> list[str]:
    """For ``oneOf: [{required: [a]}, {required: [b]}]`` style schemas: ``[a, b]``."""
    keys: list[str] = []
    for alternative in alternatives:
        required = alternative.get("required") if isinstance(alternative, dict) else None
        if not required or len(required) != 1:
            return []
        keys.append(required[0])
    return keys


def _message(error: Any, doc: Document, path: YamlPath) -> tuple[str, str | None]:
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        return _type_message(expected, value, doc.as_written(path))
    if kind == "enum":
        choices = [str(c) for c in expected]
        hint = _did_you_mean(str(value), choices) if isinstance(value, str) else None
        return f"{_show(value)} is not one of: {', '.join(choices)}", hint
    if kind == "const":
        return f"must be {_show(expected)}, not {_show(value)}", None
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        op = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
        return f"must be {op[kind]} {expected}, got {_show(value)}", None
    if kind == "minItems":
        return f"needs at least {expected} item{'s' if expected != 1 else ''}", None
    if kind == "uniqueItems":
        return "items must be unique", None
    if kind == "minLength":
        return "must not be empty", None
    if kind == "minProperties":
        return f"needs at least {expected} entr{'ies' if expected != 1 else 'y'}", None
    if kind == "pattern":
        return f"{_show(value)} does not match the pattern {expected}", error.schema.get(
            "description"
        )
    if kind == "not" and isinstance(expected, dict) and "required" in expected:
        return f"{', '.join(expected['required'])} is not allowed here", None
    return error.message[:300], None


def _type_message(expected: object, value: object, written: str | None) -> tuple[str, str | None]:
    wanted = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in _as_list(expected))
    message = f"expected {wanted}, got {_show(value)}"
    wants = {str(t) for t in _as_list(expected)}
    if isinstance(value, str) and value in YAML11_BOOLEANS and "boolean" in wants:
        return message, "YAML 1.1 reads this as a boolean, mlops-ci does not: write true or false"
    if isinstance(value, str) and LEADING_ZERO.match(value) and wants & {"integer", "number"}:
        return message, f"a leading zero is ambiguous in YAML: write {int(value)}"
    if written is not None and isinstance(value, bool):
        return message, f"write {written!r} in quotes if you mean the text"
    return message, None


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _did_you_mean(word: str, choices: Sequence[str]) -> str | None:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if choices and len(choices) <= 15:
        return f"allowed: {', '.join(choices)}"
    return None
