"""The preflight: can the token make the writes a run will make, asked before any write.

What GitHub lets a token learn about itself (checked against GitHub's docs):

- A personal access token (classic or fine-grained) gets ``permissions`` in
  ``GET /repos/{owner}/{repo}``: its user's role on the repository. ``push: false`` means no
  write of any kind to contents or deployments can succeed, so the run stops before training.
  ``push: true`` is necessary, not sufficient (a fine-grained token may still lack a
  permission): the first write then tells, as it would anyway.
- The workflow's ``GITHUB_TOKEN`` (an installation token, ``ghs_...``) gets no
  ``permissions`` there and cannot ask for its own (``GET /installation`` needs the app's
  JWT). GitHub names what a refused call needed only afterwards, in the
  ``X-Accepted-GitHub-Permissions`` header of the 403. So it is not checked: the check says
  so, and a refused write becomes a READ_ONLY outcome that names the missing permission.

Comments (pull requests, issues) need no push access on a public repository, so ``push:
false`` only marks ``contents`` and ``deployments`` as missing.
"""

from __future__ import annotations

from collections.abc import Sequence

from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.protocol import AccessCheck, Permission

NEEDS_PUSH = (Permission.CONTENTS, Permission.DEPLOYMENTS)
UNVERIFIABLE = (
    "the workflow token cannot report its own permissions; if one is missing, the first "
    "write will fail and name it (grant it under `permissions:` in the workflow)"
)


def check_access(api: GitHubApi, needs: Sequence[Permission]) -> AccessCheck:
    if not needs:
        return AccessCheck(verified=True)
    if api.is_installation_token:
        return AccessCheck(verified=False, note=UNVERIFIABLE)
    repository = api.get(api.repo)
    permissions = repository.get("permissions") if isinstance(repository, dict) else None
    if not isinstance(permissions, dict):
        return AccessCheck(verified=False, note=UNVERIFIABLE)
    if permissions.get("push") is True:
        return AccessCheck(verified=True)
    missing = tuple(need for need in needs if need in NEEDS_PUSH)
    return AccessCheck(
        verified=True,
        missing=missing,
        note=f"the token's user has no push access to {api.repository}",
    )
