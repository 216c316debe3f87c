"""A fake GitHub REST server for tests: real HTTP on 127.0.0.1 that PyGithub talks to unchanged.

Interface (the contract with ``mlops_ci/forge``)::

    with FakeGitHub() as gh:              # ThreadingHTTPServer on 127.0.0.1:<free port>
        gh.api_url                        # "http://127.0.0.1:PORT/api/v3": base_url, GITHUB_API_URL
        gh.web_url, gh.uploads_url        # "http://127.0.0.1:PORT", ".../api/uploads"
        gh.token                          # installation token "ghs_fake..."; "token X"/"Bearer X"
        repo = gh.create_repo("octo/churn", default_branch="main")   # -> RepoState
        gh.add_user_token(token, login, push=True)  # a PAT: GET /user works, comments by login;
                                          # GET /repos/o/r reports permissions.push
        gh.add_installation_token(token, read_only=False)  # another github-actions[bot] token;
                                          # read_only: every write is 403 "Resource not
                                          # accessible by integration" (a fork PR's token)
        repo.add_pull(7, head_sha=..., head_ref=..., base_ref="main", title=...,
                      head_repo="fork-owner/churn")   # head_repo: a fork's PR (default: repo)
        repo.add_issue(title, body, author=..., labels=(...))
        repo.add_comment(issue_number, body, author="someone")
        repo.set_ref("refs/heads/topic", sha)          # branches resolve for releases/deploys
        repo.auto_merge_answer = 202 | 409 | None      # POST /deployments when auto_merge != false
        gh.inject(Fault.LOST_RESPONSE, method="POST", path_regex=r"/releases$", nth=1, times=1,
                  sleep=None)                          # sleep: TIMEOUT's stall (default 2 s)
        gh.inject(Fault.SLOW_RESPONSE, method="GET", path_regex=..., sleep=0.3)  # done at
                                          # once, answered after ``sleep``: forces a race
        gh.clear_faults()
        gh.redirect_downloads = True      # asset downloads: 302 to http://localhost:PORT/_storage
                                          # (a foreign host: it refuses an Authorization header)
        gh.set_rate_limit(remaining=0, reset_in=1)     # primary budget; 403 when exhausted
        gh.requests                       # list[RecordedRequest], in order, faults included
        gh.writes()                       # the non-GET requests
        gh.clear_requests()
        GET /repos/o/r: ``permissions`` only for a user token (an installation token gets none)
        repo.comments(n), repo.releases, repo.assets(release_id), repo.refs (ref -> sha),
        repo.tags (name -> sha), repo.tag_objects, repo.deployments,
        repo.deployment_statuses(id), repo.issues, repo.pulls, repo.dispatches
        gh.snapshot()                     # plain, comparable dict of all state
        gh.client(token=None, timeout=5, per_page=100)  # PyGithub Github: no retries, no pacing
        gh.internal_errors                # the fake's own defects (answered 500); the
                                          # ``fake_github`` fixture fails the test on any

``RecordedRequest(method, path, query, status, body_json, fault, headers, response_headers,
response_body, route)``: ``path`` is the decoded URL path with its prefix (``/api/v3/repos/...``,
``/api/uploads/repos/...``); ``status`` is None for a ``Fault.TIMEOUT`` (nothing answered) and
the real status for a ``Fault.LOST_RESPONSE`` (the write happened, the answer was dropped).

Behaviour worth knowing (as on GitHub): a draft release owns no tag (not found by
``/releases/tags/{tag}``); publishing creates the tag ref from ``target_commitish``; asset
download with ``Accept: application/octet-stream`` is served directly (no 302); comment and
issue bodies over 65,536 characters are 422; lists are paginated (``per_page`` <= 100) with
GitHub's ``Link`` header. The fake holds no commits: any 40-hex sha is accepted.
"""

from __future__ import annotations

from .engine import RecordedRequest
from .faults import Fault
from .server import FakeGitHub
from .state import RepoState

__all__ = ["FakeGitHub", "Fault", "RecordedRequest", "RepoState"]
