"""The local forge: what would go to GitHub, written as files under ``.mlops/outbox/``.

The embedded default when no token is present (a laptop, ``mlops-ci demo``, a fork without
secrets). It keeps the GitHub forge's idempotency: every object has one file named by its key,
so a rerun rewrites the same file, never a second one. Where each file lives, and how keys
become safe file names, is in ``outbox_layout``.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, get_args

from mlops_ci.digest import sha256_file
from mlops_ci.errors import UserError
from mlops_ci.forge import checksums, markers
from mlops_ci.forge.checksums import SUMS_NAME
from mlops_ci.forge.outbox_layout import (
    outbox_directory,
    payload_digest,
    read_json,
    safe_name,
    write_atomic,
    write_json,
)
from mlops_ci.forge.protocol import (
    AccessCheck,
    AssetFile,
    CommentResult,
    DeploymentRef,
    DeploymentState,
    DispatchResult,
    ExistingIssue,
    FetchResult,
    IssueResult,
    JsonValue,
    Outcome,
    Permission,
    PullInfo,
    ReleaseResult,
    ReportStamp,
    StatusResult,
    existing_issue,
    kept_published_warning,
)


class OutboxForge:
    """A ``Forge`` writing files under ``<root>/.mlops/outbox/``; see the module docstring."""

    def __init__(self, root: Path) -> None:
        self.directory = outbox_directory(root)

    def __repr__(self) -> str:
        return f"OutboxForge({self.directory})"

    def read_pull(self, number: int) -> PullInfo:
        path = self.directory / "pulls" / f"{number}.json"
        if not path.is_file():
            raise UserError(
                f"pull request #{number} is unknown to the local outbox ({path} is missing)",
                hint="run inside GitHub Actions with a token, or write that file",
            )
        data = read_json(path)
        try:
            return PullInfo(
                number=number,
                head_sha=str(data["head_sha"]),
                head_ref=str(data["head_ref"]),
                base_ref=str(data["base_ref"]),
                title=str(data.get("title", "")),
                is_fork=bool(data.get("is_fork", False)),
            )
        except KeyError as error:
            raise UserError(f"{path}: missing key {error}") from None

    def find_pull_by_head(self, head_sha: str, head_ref: str | None = None) -> PullInfo | None:
        """The pull request among ``pulls/*.json`` with this head; the lowest number wins."""
        folder = self.directory / "pulls"
        found = []
        for path in folder.glob("*.json") if folder.is_dir() else []:
            if not path.stem.isdigit():
                continue
            pull = self.read_pull(int(path.stem))
            if pull.head_sha == head_sha and head_ref in (None, pull.head_ref):
                found.append(pull)
        return min(found, key=lambda pull: pull.number, default=None)

    def check_access(self, needs: Sequence[Permission]) -> AccessCheck:
        """The outbox is a folder of ours: every write is allowed."""
        return AccessCheck(verified=True)

    def upsert_report_comment(
        self, pr_number: int, report_id: str, body: str, stamp: ReportStamp
    ) -> CommentResult:
        text = markers.report_body(report_id, stamp, body)
        path = self.directory / "comments" / f"pr-{pr_number}-{safe_name(report_id)}.md"
        if path.is_file():
            existing = path.read_text(encoding="utf-8")
            if existing == text:
                return CommentResult(Outcome.UNCHANGED, url=path.as_uri())
            if markers.is_older(stamp, markers.read_stamp(existing)):
                return CommentResult(Outcome.SKIPPED_STALE, url=path.as_uri())
            write_atomic(path, text)
            return CommentResult(Outcome.UPDATED, url=path.as_uri())
        write_atomic(path, text)
        return CommentResult(Outcome.CREATED, url=path.as_uri())

    def ensure_release(
        self,
        tag: str,
        name: str,
        body: str,
        assets: Sequence[AssetFile],
        *,
        prerelease: bool = False,
    ) -> ReleaseResult:
        folder = self.directory / "releases" / safe_name(tag)
        record_path = folder / "release.json"
        existed = record_path.is_file()
        record = read_json(record_path) if existed else {}
        recorded: dict[str, str] = dict(record.get("assets", {}))
        uploaded: list[str] = []
        kept: list[str] = []
        replaced: list[str] = []
        differs: list[str] = []
        for asset in assets:
            if not asset.path.is_file():
                raise UserError(f"release asset {asset.name!r}: {asset.path} is not a file")
            digest = sha256_file(asset.path)
            target = folder / "assets" / safe_name(asset.name)
            present = recorded.get(asset.name)
            if present == digest and target.is_file() and sha256_file(target) == digest:
                kept.append(asset.name)
                continue
            published = existed and not record.get("draft", False)
            if (
                published
                and present is not None
                and target.is_file()
                and (sha256_file(target) == present)
            ):
                kept.append(asset.name)  # a published version's files are never replaced
                differs.append(asset.name)
                continue
            (replaced if present is not None else uploaded).append(asset.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(asset.path, target)
            recorded[asset.name] = digest
        wanted = {
            "tag": tag,
            "name": name,
            "body": body,
            "prerelease": prerelease,
            "draft": False,
            "assets": recorded,
        }
        if existed and record == wanted:
            return ReleaseResult(
                Outcome.UNCHANGED,
                tag,
                url=folder.as_uri(),
                kept=tuple(kept),
                published=True,
                warning=kept_published_warning(tag, differs),
            )
        write_json(record_path, wanted)
        return ReleaseResult(
            Outcome.UPDATED if existed else Outcome.CREATED,
            tag,
            url=folder.as_uri(),
            uploaded=tuple(uploaded),
            kept=tuple(kept),
            replaced=tuple(replaced),
            published=True,
            warning=kept_published_warning(tag, differs),
        )

    def fetch_release_asset(
        self, tag: str, name: str, dest: Path, *, expected_sha256: str | None = None
    ) -> FetchResult:
        """The asset as ``ensure_release`` copied it; ``release.json``'s sha256 is the digest."""
        wanted = checksums.check_sha256(expected_sha256) if expected_sha256 is not None else None
        folder = self.directory / "releases" / safe_name(tag)
        record_path = folder / "release.json"
        record = read_json(record_path) if record_path.is_file() else {"draft": True}
        if record.get("draft", False):
            return FetchResult(Outcome.MISSING_RELEASE, tag, name)
        recorded = record.get("assets")
        if not isinstance(recorded, dict):
            raise UserError(f"{record_path}: 'assets' is not an object of name -> sha256")
        if name not in recorded:
            return FetchResult(Outcome.MISSING_ASSET, tag, name)
        sums = None
        if wanted is None and name != SUMS_NAME and SUMS_NAME in recorded:
            with self._asset_file(folder, SUMS_NAME, record_path).open("rb") as stream:
                data = stream.read(checksums.MAX_SUMS_BYTES + 1)
            source = f"{SUMS_NAME} of release {tag}"
            sums = checksums.verified_sums(data, str(recorded[SUMS_NAME]), source)
        expected = checksums.expected_hash(name, wanted, sums, str(recorded[name]))
        source_file = self._asset_file(folder, name, record_path)
        return checksums.copy_verified(source_file, dest, tag, name, expected)

    def _asset_file(self, folder: Path, name: str, record_path: Path) -> Path:
        path = folder / "assets" / safe_name(name)
        if not path.is_file():
            raise UserError(
                f"{record_path} lists asset {name!r}, but {path} is missing",
                hint="the outbox was changed by hand; run the release step again",
            )
        return path

    def _deployment_path(self, environment: str, version: str) -> Path:
        return (
            self.directory / "deployments" / safe_name(environment) / f"{safe_name(version)}.json"
        )

    def find_deployment(self, environment: str, version: str) -> DeploymentRef | None:
        path = self._deployment_path(environment, version)
        if not path.is_file():
            return None
        record = read_json(path)
        latest = (record.get("statuses") or [{}])[-1].get("state")
        return DeploymentRef(
            Outcome.UNCHANGED,
            environment,
            version,
            str(record.get("ref") or ""),
            latest_state=latest if latest in get_args(DeploymentState) else None,
        )

    def create_deployment(
        self,
        environment: str,
        ref: str,
        version: str,
        description: str,
        payload: Mapping[str, JsonValue],
    ) -> DeploymentRef:
        found = self.find_deployment(environment, version)
        if found is not None:
            return found
        path = self._deployment_path(environment, version)
        write_json(
            path,
            {
                "environment": environment,
                "ref": ref,
                "version": version,
                "description": description,
                "payload": dict(payload),
                "statuses": [],
            },
        )
        return DeploymentRef(Outcome.CREATED, environment, version, ref)

    def set_deployment_status(
        self,
        deployment: DeploymentRef,
        state: DeploymentState,
        *,
        environment_url: str | None = None,
        description: str | None = None,
    ) -> StatusResult:
        path = self._deployment_path(deployment.environment, deployment.version)
        if not path.is_file():
            raise UserError(
                f"no deployment of {deployment.version} to {deployment.environment} in the outbox"
            )
        record = read_json(path)
        statuses: list[dict[str, Any]] = list(record.get("statuses", []))
        if statuses and statuses[-1].get("state") == state:
            return StatusResult(Outcome.UNCHANGED, state)
        statuses.append(
            {"state": state, "environment_url": environment_url, "description": description}
        )
        write_json(path, {**record, "statuses": statuses})
        return StatusResult(Outcome.CREATED, state)

    def mark_inactive(self, deployment: DeploymentRef) -> StatusResult:
        return self.set_deployment_status(deployment, "inactive")

    def _issue_path(self, marker: str) -> Path:
        markers.check_key("issue marker", marker)
        return self.directory / "issues" / f"{safe_name(marker)}.json"

    def _issue_by_number(self, number: int) -> tuple[Path, dict[str, Any]]:
        folder = self.directory / "issues"
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            record = read_json(path)
            if record.get("number") == number:
                return path, record
        raise UserError(f"issue #{number} is unknown to the local outbox")

    def upsert_issue(
        self, marker: str, title: str, body: str, labels: Sequence[str]
    ) -> IssueResult:
        path = self._issue_path(marker)
        wanted = {
            "title": title,
            "body": markers.marked(markers.issue_marker(marker), body),
            "labels": sorted(set(labels)),
        }
        if not path.is_file():
            folder = self.directory / "issues"
            number = len(list(folder.glob("*.json"))) + 1 if folder.is_dir() else 1
            write_json(
                path,
                {**wanted, "marker": marker, "number": number, "state": "open", "comments": {}},
            )
            return IssueResult(Outcome.CREATED, number, path.as_uri())
        record = read_json(path)
        number = int(record["number"])
        if record.get("state") == "closed":
            write_json(path, {**record, **wanted, "state": "open"})
            return IssueResult(Outcome.REOPENED, number, path.as_uri())
        if all(record.get(key) == value for key, value in wanted.items()):
            return IssueResult(Outcome.UNCHANGED, number, path.as_uri())
        write_json(path, {**record, **wanted})
        return IssueResult(Outcome.UPDATED, number, path.as_uri())

    def read_issue(self, marker: str) -> ExistingIssue | None:
        """The issue's file, if ``upsert_issue`` wrote one; its ``file://`` address is the url."""
        path = self._issue_path(marker)
        if not path.is_file():
            return None
        return existing_issue(read_json(path), path.as_uri())

    def comment_issue(self, issue_number: int, body: str, *, key: str) -> CommentResult:
        markers.check_key("comment key", key)
        path, record = self._issue_by_number(issue_number)
        comments: dict[str, str] = dict(record.get("comments", {}))
        previous = comments.get(key)
        if previous == body:
            return CommentResult(Outcome.UNCHANGED, url=path.as_uri())
        comments[key] = body
        write_json(path, {**record, "comments": comments})
        outcome = Outcome.CREATED if previous is None else Outcome.UPDATED
        return CommentResult(outcome, url=path.as_uri())

    def close_issue(self, issue_number: int, comment: str, *, key: str) -> IssueResult:
        self.comment_issue(issue_number, comment, key=key)
        path, record = self._issue_by_number(issue_number)
        if record.get("state") == "closed":
            return IssueResult(Outcome.UNCHANGED, issue_number, path.as_uri())
        write_json(path, {**record, "state": "closed"})
        return IssueResult(Outcome.CLOSED, issue_number, path.as_uri())

    def dispatch(self, event_type: str, client_payload: Mapping[str, JsonValue]) -> DispatchResult:
        content = {"event_type": event_type, "client_payload": dict(client_payload)}
        name = f"{safe_name(event_type)}-{payload_digest(content)}.json"
        return self._write_once(self.directory / "dispatches" / name, content)

    def dispatch_workflow(
        self, workflow: str, ref: str, inputs: Mapping[str, str]
    ) -> DispatchResult:
        content = {"workflow": workflow, "ref": ref, "inputs": dict(inputs)}
        name = f"{safe_name(workflow)}-{payload_digest(content)}.json"
        return self._write_once(self.directory / "workflow-dispatches" / name, content)

    def _write_once(self, path: Path, content: Mapping[str, Any]) -> DispatchResult:
        if path.is_file():
            return DispatchResult(Outcome.UNCHANGED)
        write_json(path, content)
        return DispatchResult(Outcome.SENT)
