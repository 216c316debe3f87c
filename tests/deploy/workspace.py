"""A workspace for deploy-stage tests: the churn example's config and data in a real git repo
with registered versions, their releases on the fake GitHub, and promotion events."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mlops_ci.config.loader import load_config
from mlops_ci.config.model import Config, Environment
from mlops_ci.events import Event
from mlops_ci.forge.github import GitHubApi
from mlops_ci.forge.github_forge import GitHubForge
from mlops_ci.forge.protocol import AssetFile
from mlops_ci.forge.retry import RetryPolicy
from mlops_ci.registry.store import RegistryStore
from mlops_ci.report.renderings import ReportRenderings
from mlops_ci.stages.base import StageContext
from mlops_ci.webhooks import parse_event
from tests.fakegithub import FakeGitHub
from tests.serving.example import EXAMPLE

REPO = "octo/churn"
FAST = RetryPolicy(attempts=3, total_wait=5.0).scaled(0.01)
GIT_ENV = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}

# Records every call as one JSON line; fails a deploy (not a rollback) of FAIL_VERSION.
DEPLOY_SCRIPT = """\
import json, os, sys
entry = {k: v for k, v in os.environ.items() if k.startswith("MLOPS_")}
with open(os.environ["DEPLOY_LOG"], "a") as log:
    log.write(json.dumps(entry) + "\\n")
if (entry["MLOPS_MODEL_VERSION"] == os.environ.get("FAIL_VERSION")
        and entry["MLOPS_ACTION"] == "deploy"):
    print("the cluster said no")
    sys.exit(1)
"""

COMMAND_ENVIRONMENTS = """\
    deploy:
      environments:
        churn-production:
          stage: production
          backend: command
          command: [python, deploy.py]
"""


def command_environment(name: str, stage: str) -> str:
    """A ``deploy`` section with one command-target environment ``name`` bound to ``stage``."""
    return COMMAND_ENVIRONMENTS.replace("churn-production", name).replace("production", stage)


def git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True,
                          env={**os.environ, **GIT_ENV})
    return done.stdout.strip()


@dataclass
class DeployWorkspace:
    root: Path
    config: Config
    fake: FakeGitHub
    log: Path

    def forge(self) -> GitHubForge:
        """A new forge, as a new run of the job builds it."""
        api = GitHubApi(api_url=self.fake.api_url, token=self.fake.token, repository=REPO,
                        policy=FAST, timeout=5, seconds_between_writes=0)
        return GitHubForge(api)

    def register(self, version: str, model_file: Path, *, model: str = "churn") -> str:
        """Commit, register ``version`` there, publish its release holding ``model_file``."""
        (self.root / "VERSION").write_text(version)
        git(self.root, "add", "VERSION")
        git(self.root, "commit", "-q", "-m", f"train {version}")
        store = RegistryStore(self.root, remote=None)
        registration = store.register(model, version=version)
        forge = self.forge()
        forge.ensure_release(registration.tag, f"{model} {version}", "model card",
                             [AssetFile("model.skops", model_file)])
        forge.close()
        return registration.tag

    def promote(self, version: str, stage: str = "production", *, model: str = "churn") -> str:
        return RegistryStore(self.root, remote=None).promote(model, version, stage).tag

    def tag_event(self, tag: str) -> Event:
        sha = git(self.root, "rev-parse", f"{tag}^{{commit}}")
        payload = {"ref": f"refs/tags/{tag}", "after": sha, "deleted": False,
                   "repository": {"full_name": REPO, "default_branch": "main"}}
        return parse_event("push", payload, {"GITHUB_REPOSITORY": REPO})

    def context(self, event: Event, forge: GitHubForge, **environ: str) -> StageContext:
        bin_dir = str(Path(sys.executable).parent)
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               "DEPLOY_LOG": str(self.log), "GITHUB_ACTIONS": "false", **environ}
        return StageContext(config=self.config, event=event, forge=forge, workspace=self.root,
                            run_dir=self.root / ".mlops" / "run", environ=env, out=io.StringIO(),
                            render=ReportRenderings())

    def calls(self) -> list[dict[str, str]]:
        if not self.log.is_file():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def make_workspace(root: Path, fake: FakeGitHub, environments: str = COMMAND_ENVIRONMENTS,
                   *, stages: tuple[str, ...] = ()) -> DeployWorkspace:
    """The example in a git repo at ``root``, its deploy section replaced by ``environments``;
    ``stages``, when given, replaces the declared stages (pre-releases go to the first)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copytree(EXAMPLE / "data", root / "data")
    for script in ("train.py", "evaluate.py"):  # validate refuses a command whose script is gone
        shutil.copyfile(EXAMPLE / script, root / script)
    text = (EXAMPLE / "mlops.yaml").read_text()
    text = re.sub(r"    deploy:\n(?:      .*\n|        .*\n)+", environments, text)
    if stages:
        declared = f"stages: [{', '.join(stages)}]"
        text = _replace_once(text, "stages: [staging, production]", declared)
        text = _replace_once(text, "prerelease_stage: staging", f"prerelease_stage: {stages[0]}")
    (root / "mlops.yaml").write_text(text)
    (root / "deploy.py").write_text(DEPLOY_SCRIPT)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "example")
    fake.create_repo(REPO)
    return DeployWorkspace(root, load_config(root / "mlops.yaml"), fake, root / "deploy-log")


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the example's mlops.yaml no longer says {old!r}"
    return text.replace(old, new)


def kubernetes_environment(**changes: object) -> Environment:
    """A ``kubernetes`` environment of the churn model in namespace ``ml``, with ``changes``."""
    values: dict[str, object] = {"name": "churn-production", "stage": "production",
                                 "backend": "kubernetes", "manifests_path": "deploy/production",
                                 "namespace": "ml", "replicas": 2}
    values.update(changes)
    return Environment(**values)  # type: ignore[arg-type]


def one_commit_repo(root: Path) -> Path:
    """A git repository at ``root`` with one commit on ``main``."""
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text("x\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "start")
    return root
