"""HTTP requests per forge operation, counted on the fake GitHub, beside the API's minimum.

Run by hand from the repository root: ``.venv/bin/python bench/github_requests/run.py``.

"Minimum" is the fewest requests GitHub's REST API allows for the same idempotent result:
a write that must not duplicate needs one read to find an earlier object by its key (a list
page) before it writes; an unchanged rerun needs that one read and nothing else. Where our
count is higher the table says why.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tabulate import tabulate  # noqa: E402

from mlops_ci.forge.github import GitHubApi  # noqa: E402
from mlops_ci.forge.github_forge import GitHubForge  # noqa: E402
from mlops_ci.forge.protocol import AssetFile, DeploymentRef, ReportStamp  # noqa: E402
from tests.fakegithub import FakeGitHub  # noqa: E402

REPO = "octo/churn"
PR = 7


def forge_for(fake: FakeGitHub) -> GitHubForge:
    api = GitHubApi(
        api_url=fake.api_url,
        token=fake.token,
        repository=REPO,
        timeout=5,
        seconds_between_writes=0,
    )
    return GitHubForge(api)


def pygithub_peer(fake: FakeGitHub, assets: list[AssetFile]) -> dict[str, int]:
    """The same results written the idiomatic PyGithub way (object model), counted alike."""
    from github import Auth, Github, GithubException

    fake.repo(REPO).add_pull(8, head_sha="c" * 40, head_ref="peer", title="Peer")
    client = Github(
        auth=Auth.Token(fake.token),
        base_url=fake.api_url,
        per_page=100,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    counts: dict[str, int] = {}

    def comment(body: str) -> None:
        repo = client.get_repo(REPO)
        issue = repo.get_issue(8)
        ours = [c for c in issue.get_comments() if "<!-- peer -->" in c.body]
        text = f"<!-- peer -->\n{body}"
        if not ours:
            issue.create_comment(text)
        elif ours[0].body != text:
            ours[0].edit(text)

    def release() -> None:
        repo = client.get_repo(REPO)
        try:
            made = repo.get_release("peer@v1.0.0")
        except GithubException:
            made = repo.create_git_release("peer@v1.0.0", "peer", "notes", draft=True)
        present = {a.name for a in made.assets}
        for asset in assets:
            if asset.name not in present:
                made.upload_asset(str(asset.path), name=asset.name)
        if made.draft:
            made.update_release("peer", "notes", draft=False)

    for name, run in (
        ("first PR comment", lambda: comment("v1")),
        ("PR comment update", lambda: comment("v2")),
        ("PR comment, unchanged rerun", lambda: comment("v2")),
        ("release + 3 assets", release),
    ):
        fake.clear_requests()
        run()
        counts[name] = len(fake.requests)
    client.close()
    return counts


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-gh-"))
    assets = []
    for name, size in (("model.skops", 2_000_000), ("metrics.json", 200), ("MODEL_CARD.md", 4_000)):
        path = work / name
        path.write_bytes(b"x" * size)
        assets.append(AssetFile(name, path))
    rows: list[list[object]] = []
    with FakeGitHub() as fake:
        fake.create_repo(REPO).add_pull(PR, head_sha="a" * 40, head_ref="topic", title="Tune")
        forge = forge_for(fake)
        deployment: list[DeploymentRef] = []
        issue: list[int] = []

        def measure(name: str, minimum: int, why: str, operation: Callable[[], object]) -> None:
            fake.clear_requests()
            operation()
            requests = fake.requests
            reads = sum(1 for r in requests if r.method == "GET")
            rows.append(
                [
                    name,
                    len(requests),
                    reads,
                    len(requests) - reads,
                    minimum,
                    f"{len(requests) / minimum:.2f}",
                    why,
                ]
            )

        def report(body: str, run: int) -> Callable[[], object]:
            return lambda: forge.upsert_report_comment(
                PR, "churn-ci", body, ReportStamp("a" * 40, run)
            )

        measure(
            "first PR comment",
            2,
            "+1 GET: read again after creating, so two racing runs keep one",
            report("## Report v1", 1),
        )
        measure("PR comment update", 2, "", report("## Report v2", 2))
        measure("PR comment, unchanged rerun", 1, "", report("## Report v2", 2))
        measure("PR comment update, new forge", 2, "", report("## Report v3", 3))

        def release() -> object:
            return forge.ensure_release("churn@v1.4.0", "churn v1.4.0", "notes", assets)

        measure("release + 3 assets", 6, "draft first: +1 PATCH to publish", release)
        measure(
            "release rerun",
            1,
            "",
            lambda: forge_for(fake).ensure_release("churn@v1.4.0", "churn v1.4.0", "notes", assets),
        )

        def deploy() -> object:
            made = forge.create_deployment("churn-production", "main", "v1.4.0", "d", {})
            deployment.append(made)
            for state in ("queued", "in_progress", "success"):
                forge.set_deployment_status(made, state)  # type: ignore[arg-type]
            return made

        measure("deployment + 3 statuses", 5, "", deploy)
        measure(
            "deployment rerun (new forge)",
            2,
            "finds it, then its latest status",
            lambda: forge_for(fake).create_deployment(
                "churn-production", "main", "v1.4.0", "d", {}
            ),
        )

        def open_issue() -> object:
            opened = forge.upsert_issue("drift-churn", "Drift", "3 columns", ["mlops"])
            issue.append(opened.number or 0)
            return opened

        measure("issue open", 2, "", open_issue)
        measure(
            "issue update",
            2,
            "",
            lambda: forge.upsert_issue("drift-churn", "Drift", "5 columns", ["mlops"]),
        )
        measure(
            "issue close with comment",
            3,
            "+1 GET: no PATCH when closed already",
            lambda: forge.close_issue(issue[0], "drift is gone", key="close-1"),
        )
        measure("repository dispatch", 1, "", lambda: forge.dispatch("retrain", {"m": "churn"}))
        measure(
            "workflow dispatch", 1, "", lambda: forge.dispatch_workflow("retrain.yml", "main", {})
        )
        peer = pygithub_peer(fake, assets)
    for row in rows:
        row.insert(6, peer.get(str(row[0]), ""))
    headers = [
        "operation",
        "requests",
        "reads",
        "writes",
        "minimum",
        "ratio",
        "PyGithub objects",
        "note",
    ]
    print(tabulate(rows, headers=headers, tablefmt="github"))
    total = sum(int(str(row[1])) for row in rows)
    floor = sum(int(str(row[4])) for row in rows)
    print(f"\ntotal: {total} requests vs minimum {floor} (ratio {total / floor:.2f})")


if __name__ == "__main__":
    main()
