"""Whatever the event says, building its plan raises nothing but UserError, and stays ordered."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlops_ci.config.model import Config, StageName
from mlops_ci.errors import UserError
from mlops_ci.planner import build_plan
from mlops_ci.webhooks import parse_event
from tests.events import payloads as p

ORDER = list(StageName)
# Characters the registry grammar cares about, so tags hit every branch of it.
TAGGY = st.text(alphabet="churnfad@#!=/:.v0123456789-_ ", max_size=24)
WORDS = st.sampled_from(["churn", "fraud", "models/fraud:fraud", "production", "staging", "v1.4.0"])
TEXT = WORDS | TAGGY
ACTIONS = st.sampled_from(["opened", "closed", "published", "released", "mlops-retrain", "x"])

REFS = st.sampled_from(["refs/heads/", "refs/tags/"]).flatmap(
    lambda prefix: TEXT.map(lambda rest: prefix + rest)
)
INPUTS = st.dictionaries(st.sampled_from(["model", "version", "stage"]), TEXT)


def retrain(kind: str, model: str | None) -> dict[str, Any]:
    return p.repository_dispatch(kind, model=model)


EVENTS = st.one_of(
    st.tuples(st.just("push"), st.builds(p.push, REFS, deleted=st.booleans())),
    st.tuples(st.just("create"), st.builds(p.create, TEXT, st.sampled_from(["tag", "branch"]))),
    st.tuples(
        st.just("pull_request"),
        st.builds(
            p.pull_request, ACTIONS, merged=st.booleans(), head_repo=st.none() | st.just(p.REPO)
        ),
    ),
    st.tuples(
        st.just("release"),
        st.builds(p.release, ACTIONS, TEXT, prerelease=st.booleans(), draft=st.booleans()),
    ),
    st.tuples(st.just("schedule"), st.builds(p.schedule, TEXT)),
    st.tuples(st.just("workflow_dispatch"), INPUTS.map(lambda i: p.workflow_dispatch(**i))),
    st.tuples(st.just("repository_dispatch"), st.builds(retrain, ACTIONS, TEXT | st.none())),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(event=EVENTS)
def test_any_event_plans_in_order_or_refuses_with_user_error(
    two_models: Config, event: tuple[str, dict[str, Any]]
) -> None:
    name, payload = event
    try:
        plan = build_plan(two_models, parse_event(name, payload, {}))
    except UserError as error:
        assert error.message
        return
    assert plan.reasons
    keys = [(ORDER.index(step.stage), ["churn", "fraud"].index(step.model)) for step in plan.steps]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
