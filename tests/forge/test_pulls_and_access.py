"""Finding a pull request by its head commit, and the token preflight, on the fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path

from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.outbox import OutboxForge
from mlops_ci.forge.protocol import Permission
from tests.fakegithub import FakeGitHub
from tests.forge.conftest import HEAD, PR, REPO, make_forge

FORK_HEAD = "c" * 40
NEEDS = (Permission.CONTENTS, Permission.ISSUES, Permission.DEPLOYMENTS)


def test_a_forks_pull_is_found_by_its_head_commit(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.repo(REPO).add_pull(9, head_sha=FORK_HEAD, head_ref="fix", head_repo="forker/churn")

    found = forge.find_pull_by_head(FORK_HEAD, "fix")

    assert found is not None
    assert (found.number, found.head_ref, found.is_fork) == (9, "fix", True)
    assert forge.find_pull_by_head(HEAD) is not None and forge.find_pull_by_head(HEAD).number == PR


def test_an_unknown_head_or_another_branch_finds_nothing(forge: GitHubForge) -> None:
    assert forge.find_pull_by_head("d" * 40) is None
    assert forge.find_pull_by_head(HEAD, "another-branch") is None


def test_a_closed_pull_is_not_found(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.client().get_repo(REPO).get_issue(PR).edit(state="closed")
    assert forge.find_pull_by_head(HEAD) is None


def test_the_search_pages_through_many_open_pulls(fake: FakeGitHub, forge: GitHubForge) -> None:
    for number in range(10, 160):
        fake.repo(REPO).add_pull(number, head_sha=f"{number:040x}", head_ref=f"b{number}")
    fake.clear_requests()

    found = forge.find_pull_by_head(HEAD)

    pages = [r.query.get("page") for r in fake.requests]
    assert found is not None and found.number == PR
    # page 1, then page 2; a page asked again is the client's retry after its 1 s timeout
    # on a loaded machine (the fake answered, the client had gone), not a pagination error
    assert list(dict.fromkeys(pages)) == ["1", "2"]


def test_a_pat_without_push_lacks_contents_and_deployments(fake: FakeGitHub) -> None:
    fake.add_user_token("ghp_reader", "reader", push=False)
    check = make_forge(fake, token="ghp_reader").check_access(NEEDS)
    assert check.verified
    assert check.missing == (Permission.CONTENTS, Permission.DEPLOYMENTS)
    assert check.note is not None and "no push access" in check.note


def test_a_pat_with_push_has_what_it_needs(fake: FakeGitHub) -> None:
    fake.add_user_token("ghp_writer", "writer", push=True)
    check = make_forge(fake, token="ghp_writer").check_access(NEEDS)
    assert (check.verified, check.missing) == (True, ())


def test_the_workflow_token_is_not_asked_and_says_so(fake: FakeGitHub, forge: GitHubForge) -> None:
    fake.clear_requests()
    check = forge.check_access(NEEDS)
    assert (check.verified, check.missing) == (False, ())
    assert check.note is not None and "first write" in check.note
    assert fake.requests == []


def test_the_outbox_finds_pulls_by_head(tmp_path: Path) -> None:
    pulls = tmp_path / ".mlops" / "outbox" / "pulls"
    pulls.mkdir(parents=True)
    for number, sha in ((3, HEAD), (2, HEAD), (4, FORK_HEAD)):
        record = {"head_sha": sha, "head_ref": f"b{number}", "base_ref": "main"}
        (pulls / f"{number}.json").write_text(json.dumps(record), encoding="utf-8")
    outbox = OutboxForge(tmp_path)

    assert outbox.find_pull_by_head(HEAD).number == 2  # type: ignore[union-attr]
    assert outbox.find_pull_by_head(HEAD, "b3").number == 3  # type: ignore[union-attr]
    assert outbox.find_pull_by_head("e" * 40) is None
