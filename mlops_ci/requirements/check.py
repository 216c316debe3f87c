"""Whether requirements are met by installed versions: locally, and against the action's own.

Both checks compare a file's requirements with a table of installed distributions (canonical
name -> version) and return every finding with the file and line that asks for it:

- ``unmet``: a run outside the action uses the current environment as it is, so each
  requirement must be installed in a version its specifier allows;
- ``conflicts``: in the action, the user's packages are layered over the action's own, which
  cannot change: a requirement naming one of them must allow the version the action holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mlops_ci.errors import Problem
from mlops_ci.requirements.file import RequirementLine

Versions = Mapping[str, str]  # canonical distribution name -> installed version


def installed_versions(*, by_module: bool = False) -> dict[str, str]:
    """The distributions this process can import, by canonical name (first on sys.path wins).

    With ``by_module``, also each top-level module a distribution provides under another name,
    as that distribution's version: locally, ``xgboost`` is then met by ``xgboost-cpu``, the
    project's CPU-only build of the same module, as the user's code will import it. (Not for
    the action's conflict check: there pip installs by distribution name.)
    """
    from importlib import metadata

    from packaging.utils import canonicalize_name

    found: dict[str, str] = {}
    for distribution in metadata.distributions():
        name = distribution.metadata["Name"]
        if name:
            found.setdefault(canonicalize_name(name), distribution.version)
    if by_module:
        for module, names in metadata.packages_distributions().items():
            versions = [found[canonicalize_name(n)] for n in names if canonicalize_name(n) in found]
            if versions:
                found.setdefault(canonicalize_name(module), versions[0])
    return found


def allows(specifier: str, version: str) -> bool:
    """Whether ``version`` meets ``specifier`` (pre-releases count: they are installed)."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    if not specifier:
        return True
    try:
        return SpecifierSet(specifier).contains(Version(version), prereleases=True)
    except InvalidVersion:
        return False


def unmet(lines: Iterable[RequirementLine], installed: Versions) -> list[Problem]:
    """Each requirement this environment does not meet: missing, or in another version."""
    problems = []
    for line in lines:
        version = installed.get(line.name)
        if version is None:
            message = f"{line.text}: {line.name} is not installed in this environment"
        elif not allows(line.specifier, version):
            message = f"{line.text}: this environment has {line.name} {version}"
        else:
            continue
        problems.append(Problem(line.file, line.line, 1, "", message,
                                f"outside the action nothing is installed: pip install -r "
                                f"{line.file}"))
    return problems


def conflicts(lines: Iterable[RequirementLine], action: Versions) -> list[Problem]:
    """Each requirement that the version of the action's own package does not meet."""
    problems = []
    for line in lines:
        version = action.get(line.name)
        if version is None or allows(line.specifier, version):
            continue
        problems.append(Problem(
            line.file, line.line, 1, "",
            f"{line.text} conflicts with the action's own {line.name} {version}, which your "
            "packages are layered over and cannot replace",
            f"allow {line.name} {version} (e.g. {line.name}>={version}), or drop the line",
        ))
    return problems
