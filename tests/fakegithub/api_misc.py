"""The repository itself, the authenticated user and the rate limit."""

from __future__ import annotations

from . import shapes
from .routing import Answer, Call, Reply, Router

INTEGRATION_DOCS = "https://docs.github.com/rest/users/users#get-the-authenticated-user"


def register(router: Router) -> None:
    router.add("GET", "/api/v3/repos/{owner}/{repo}", get_repo)
    router.add("GET", "/api/v3/user", get_user)
    router.add("GET", "/api/v3/rate_limit", get_rate_limit)


def get_repo(call: Call) -> Reply:
    """A user token sees its user's ``permissions``; an installation token (the workflow's
    ``GITHUB_TOKEN``) gets none, as on GitHub: it cannot learn its own permissions."""
    body = shapes.repository(call.urls, call.repo, full=True)
    if call.token.kind == "installation":
        del body["permissions"]
    else:
        push = call.token.push
        body["permissions"] = {"admin": False, "maintain": push, "push": push,
                               "triage": True, "pull": True}
    return Reply(200, body)


def get_user(call: Call) -> Reply:
    """A personal access token gets its user; an installation token (``ghs_``) gets the 403
    every workflow token gets."""
    if call.token.kind == "installation":
        raise Answer(Reply(403, shapes.error("Resource not accessible by integration",
                                             doc=INTEGRATION_DOCS)))
    return Reply(200, shapes.private_user(call.urls, call.token.user, "2020-01-01T00:00:00Z"))


def get_rate_limit(call: Call) -> Reply:
    return Reply(200, call.store.rate.overview())
