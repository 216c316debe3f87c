"""Model files: skops only, loaded against an explicit list of trusted types. Never pickle.

What a caller may rely on:

- ``save_model`` writes a skops file (a zip holding ``schema.json``), atomically, and
  reproducibly: equal objects give byte-identical files, so a model's sha256 shows that two
  trainings on the same data, seed and code produced the same model. skops names members by
  object ids (``id()``) or random uuids and stamps them with the current time; the file is
  re-packed with the ids renumbered in the order the schema first mentions them (shared
  references stay shared), members named after that order, sorted, stored uncompressed (as
  skops stores them), dated 1980-01-01 with mode 0644. Objects whose own serialisation is
  unordered (a ``set`` of strings, under hash randomisation) can still differ.
- ``load_model`` never unpickles. It first checks the file is a skops zip (a pickle, a
  joblib dump or anything else is refused by its first bytes, without being parsed), then
  asks skops which of the file's types skops does not trust by default (scikit-learn's
  public estimators, numpy's and scipy's own are trusted), and refuses the file when any of
  them is outside ``trust.trusted_set(trusted_types)``: mlops-ci's vetted defaults (the
  types scikit-learn's own fitted models hold), the vetted list of each library named
  (``xgboost``...), and every other name listed. Names of modules that can run code
  (``builtins``, ``os``, ``subprocess``...) are refused even when listed.
- ``check_trusted`` is that check alone, for a caller that already has the file's types;
  its message names each refused type with what would trust it, or why nothing can.
- Every failure is a ``UserError`` naming the file.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

from mlops_ci.errors import UserError
from mlops_ci.trust import LIBRARY_TYPES, library_trusting, never_trusted, trusted_set

SKOPS_SUFFIX = ".skops"
_PICKLE_PROTOCOL_MARK = 0x80
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip member can carry
_MEMBER_MODE = 0o100644  # a regular file, rw-r--r--
_UNIX = 3  # ZipInfo.create_system for Unix, whatever platform writes the file


def save_model(obj: object, path: Path) -> None:
    """Write ``obj`` to ``path`` as a skops file (via a temporary file, then renamed)."""
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        dumped = sio.dumps(obj)
    except (TypeError, ValueError, NotImplementedError) as error:
        raise UserError(
            f"{path}: cannot save the model with skops: {error}",
            hint="skops saves scikit-learn estimators and plain Python/numpy values",
        ) from None
    try:
        partial.write_bytes(reproducible_skops(dumped))
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def make_reproducible(path: Path) -> None:
    """Re-pack the skops file at ``path`` in place as ``save_model`` writes it.

    For a file a training command wrote with ``skops.io.dump``: the same model then has the
    same sha256 whichever way it was saved.
    """
    check_skops_file(path)
    try:
        repacked = reproducible_skops(path.read_bytes())
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise _unreadable(path, error) from None
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_bytes(repacked)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


def reproducible_skops(dumped: bytes) -> bytes:
    """The skops archive ``dumped`` re-packed so equal objects give equal bytes.

    Object ids become 1, 2, ... in the order ``schema.json`` first mentions them; each data
    member is renamed ``N`` + its suffix in the order the schema first names it; members are
    written sorted, stored, with a fixed date, mode and system.
    """
    with zipfile.ZipFile(io.BytesIO(dumped)) as source:
        schema = json.loads(source.read("schema.json"))
        ids: dict[int, int] = {}
        files: dict[str, str] = {}
        canonical = _renumbered(schema, ids, files)
        members = {new: source.read(old) for old, new in files.items()}
    members["schema.json"] = json.dumps(canonical, indent=2).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as target:
        for name in sorted(members):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = _MEMBER_MODE << 16
            info.create_system = _UNIX
            target.writestr(info, members[name])
    return buffer.getvalue()


def _renumbered(node: object, ids: dict[int, int], files: dict[str, str]) -> object:
    """``node`` with every ``__id__`` and ``file`` renumbered in first-mention order."""
    if isinstance(node, list):
        return [_renumbered(item, ids, files) for item in node]
    if not isinstance(node, dict):
        return node
    renumbered: dict[str, object] = {}
    for key, value in node.items():
        if key == "__id__" and isinstance(value, int) and not isinstance(value, bool):
            renumbered[key] = ids.setdefault(value, len(ids) + 1)
        elif key == "file" and isinstance(value, str):
            suffix = Path(value).suffix
            renumbered[key] = files.setdefault(value, f"{len(files) + 1}{suffix}")
        else:
            renumbered[key] = _renumbered(value, ids, files)
    return renumbered


def untrusted_types(path: Path) -> tuple[str, ...]:
    """The types in the skops file at ``path`` that skops does not trust by default."""
    import skops.io as sio

    check_skops_file(path)
    try:
        return tuple(sio.get_untrusted_types(file=path))
    except Exception as error:  # skops raises many kinds on a corrupt file
        raise _unreadable(path, error) from None


def load_model(path: Path, trusted_types: Sequence[str]) -> object:
    """The object in the skops file at ``path``, if every type in it is trusted.

    Trusted means: trusted by skops by default, one of ``trust.DEFAULT_TYPES``, in the list
    of a library named in ``trusted_types``, or named there itself. The check runs before
    anything is constructed.
    """
    import skops.io as sio

    check_trusted_names(trusted_types)
    found = untrusted_types(path)
    check_trusted(path, found, trusted_types)
    try:
        return sio.load(path, trusted=list(found))
    except Exception as error:  # skops raises many kinds on a corrupt file
        raise _unreadable(path, error) from None


def check_trusted(
    path: Path,
    found: Sequence[str],
    trusted_types: Sequence[str],
    *,
    option: str = "evaluate.trusted_types",
) -> None:
    """``UserError`` unless every type in ``found`` is trusted (see ``load_model``).

    The message names each refused type with the library option that would trust it, or
    why no setting can; ``option`` is the setting named (with its model, where known).
    """
    trusted = trusted_set(trusted_types)
    refused = [name for name in found if name not in trusted or never_trusted(name)]
    if not refused:
        return
    by_remedy: dict[str, list[str]] = {}  # names grouped by what would trust them, in order
    for name in refused:
        by_remedy.setdefault(_what_would_trust(name, option), []).append(name)
    reasons = [f"{', '.join(names)} ({remedy})" for remedy, names in by_remedy.items()]
    never = all(never_trusted(name) for name in refused)
    raise UserError(
        f"{path}: refusing to load the model: it holds {len(refused)} type(s) that "
        f"{option} does not trust: {'; '.join(reasons)}",
        hint="save the model without such objects" if never else
        f"list a type under {option} only if you trust the code that defines it; "
        f"library names trust a vetted list: {', '.join(LIBRARY_TYPES)}",
    )


def _what_would_trust(name: str, option: str) -> str:
    module = never_trusted(name)
    if module is not None:
        return f"never trusted: module {module} can run code when the file is loaded"
    library = library_trusting(name)
    if library is not None:
        return f"add `{library}` to {option}"
    return f"trusted only when listed in {option}"


def check_skops_file(path: Path) -> None:
    """Raise ``UserError`` unless ``path`` is a skops file (checked without parsing it)."""
    if not path.is_file():
        raise UserError(f"{path}: no such model file")
    with path.open("rb") as handle:
        head = handle.read(4)
    if not zipfile.is_zipfile(path):
        raise UserError(
            f"{path}: not a skops model file ({_what_it_looks_like(head)})",
            hint="save the model with skops.io.dump(model, path); mlops-ci never loads "
            "pickle or joblib files, since loading them can run any code",
        )
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError) as error:
        raise _unreadable(path, error) from None
    if "schema.json" not in names:
        raise UserError(
            f"{path}: a zip file but not a skops model file (it has no schema.json)",
            hint="save the model with skops.io.dump(model, path)",
        )


def check_trusted_names(trusted_types: Sequence[str]) -> None:
    """``UserError`` when ``trusted_types`` lists a type of a never-trusted module (checked
    by ``load_model`` whatever the file holds)."""
    dangerous = [name for name in trusted_types if never_trusted(name)]
    if dangerous:
        raise UserError(
            f"evaluate.trusted_types lists {', '.join(dangerous)}: types from these modules "
            "can run code when a model file is loaded, so mlops-ci never trusts them",
            hint="remove them; save the model without such objects",
        )


def _what_it_looks_like(head: bytes) -> str:
    if head[:1] == bytes([_PICKLE_PROTOCOL_MARK]):
        return "it starts like a Python pickle or joblib file"
    if not head:
        return "it is empty"
    return f"it starts with the bytes {head.hex(' ')}, not a zip archive"


def _unreadable(path: Path, error: BaseException) -> UserError:
    if isinstance(error, ModuleNotFoundError) and error.name:
        top = error.name.split(".")[0]
        return UserError(
            f"{path}: the model needs the Python module {error.name!r}, which is not "
            "installed here",
            hint=f"install the library that provides {top} where the model is loaded (the "
            "training and evaluation environment, and the serving image)",
        )
    return UserError(
        f"{path}: the skops model file cannot be read: {type(error).__name__}: {error}",
        hint="the file may be damaged or written by an incompatible skops version",
    )
