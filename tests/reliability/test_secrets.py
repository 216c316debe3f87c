"""Secrets: the token and another secret of the runner never leave the process.

One world runs the whole lifecycle with ``INPUT_GITHUB_TOKEN=ghs_...`` and a secret in the
environment: a PR run, the merge, the promotion, monitoring, a failing gate, a GitHub outage
(exit 3), and CLI runs with ``--debug`` (a rejected token, the action entry point). Then every
log line (but ``::add-mask::`` ones, which the runner swallows), every output and summary file,
every file under the workspace's ``.mlops/``, everything sent to GitHub (bodies, asset bytes,
headers but ``Authorization``) and the fake's final state are searched for either secret.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from mlops_ci.cli import main
from tests.fakegithub import FakeGitHub, Fault
from tests.reliability.world import World, make_world, pr_payload

TOKEN = "ghs_SECRETtoken0123456789abcdefXYZ"
OTHER = "s3cr3t-AWS-key-0123456789"
SECRETS = {"INPUT_GITHUB_TOKEN": TOKEN, "AWS_SECRET_ACCESS_KEY": OTHER}


def leaks(text: str) -> list[str]:
    found = []
    for line in text.splitlines():
        if line.startswith("::add-mask::"):
            continue
        for secret in (TOKEN, OTHER, TOKEN[4:]):
            if secret in line:
                found.append(line[:200])
    return found


def test_the_leak_search_finds_a_secret_but_not_a_mask_line() -> None:
    assert leaks(f"::add-mask::{TOKEN}\nok\n") == []
    assert len(leaks(f"token {TOKEN[4:]}\nkey={OTHER}\n")) == 2


def cli_run(world: World, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str],
            *args: str) -> str:
    with monkeypatch.context() as patch:
        for name, value in environ.items():
            patch.setenv(name, value)
        patch.chdir(world.repo)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(list(args), stderr=err)
    return f"exit {code}\n{out.getvalue()}{err.getvalue()}"


@pytest.mark.slow
def test_no_log_output_artifact_or_request_holds_a_secret(
    tmp_path: Path, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_github.add_installation_token(TOKEN)
    world = make_world(tmp_path / "world", fake_github, secrets=SECRETS)
    results = [world.pr_run(), world.merge_run()]
    tag = world.promote()
    results += [world.promotion_run(tag), world.monitor(400)]
    config = world.repo / "mlops.yaml"
    config.write_text(config.read_text().replace("min: 0.70", "min: 0.99"), encoding="utf-8")
    results.append(world.pr_run(101))
    fake_github.inject(Fault.HTTP_502, times=1_000)
    results.append(world.pr_run(102))
    fake_github.clear_faults()
    codes = [r.exit_code for r in results]
    assert codes == [0, 0, 0, 1, 1, 3], "\n".join(r.log for r in results)

    environ = world.environ("pull_request", pr_payload(world.head()), 103)
    logs = [
        cli_run(world, monkeypatch, {**environ, "INPUT_GITHUB_TOKEN": TOKEN + "x"},
                "--debug", "run"),
        cli_run(world, monkeypatch, {**environ, "INPUT_COMMAND": "plan"}, "--debug", "action"),
    ]
    assert logs[0].startswith("exit 3") and "Bad credentials" in logs[0], logs[0]
    assert "::add-mask::" in logs[1], logs[1]

    texts = logs + [r.log + r.output + r.summary for r in results]
    texts += [p.read_text(errors="replace") for p in world.root.rglob("*")
              if p.is_file() and (".mlops" in p.parts or "runner" in p.parts)]
    texts.append(json.dumps(fake_github.snapshot()))
    for request in fake_github.requests:
        headers = {k: v for k, v in request.headers.items() if k != "authorization"}
        texts.append(json.dumps([request.path, request.query, request.body_json, headers]))
    repo = fake_github.repo("octo/churn")
    texts += [a.data.decode(errors="replace") for r in repo.releases for a in repo.assets(r.id)]

    found = [leak for text in texts for leak in leaks(text)]
    assert found == []
    assert len(texts) > 20  # the search looked at everything, not at nothing
