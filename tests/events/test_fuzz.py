"""No payload, however malformed, makes the event parser raise anything but UserError."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlops_ci.errors import UserError
from mlops_ci.events import Event
from mlops_ci.webhooks import SUPPORTED_EVENTS, parse_event
from tests.events.payloads import WEBHOOKS, webhook

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["refs/heads/main", "refs/tags/churn@v1.0.0", "a" * 40, "opened"]),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=8,
)
KEYS = st.sampled_from(
    ["ref", "ref_type", "action", "after", "deleted", "number", "pull_request", "head", "base",
     "repo", "sha", "full_name", "release", "tag_name", "prerelease", "inputs", "client_payload",
     "deployment", "id", "environment", "schedule", "merged", "repository", "sender", "login"]
)  # fmt: skip
SHAPED = st.recursive(
    JSON, lambda children: st.dictionaries(KEYS, children, max_size=4), max_leaves=12
)
NAMES = st.sampled_from([*SUPPORTED_EVENTS, "", "pull_request_target"])
CORPUS = sorted(path.name for path in WEBHOOKS.glob("*.json"))


def parse_or_refuse(name: str, payload: Any) -> Event | None:
    try:
        return parse_event(name, payload, {"GITHUB_SHA": "0" * 40})
    except UserError as error:
        assert error.message  # a reason, not an empty error
        return None


@settings(max_examples=200, deadline=None)
@given(name=NAMES, payload=st.dictionaries(KEYS, SHAPED, max_size=6))
def test_arbitrary_payloads_only_raise_user_error(name: str, payload: dict[str, Any]) -> None:
    parse_or_refuse(name, payload)


@pytest.mark.github_corpus  # before Hypothesis draws from an empty CORPUS
@settings(max_examples=200, deadline=None)
@given(file_name=st.sampled_from(CORPUS), data=st.data(), value=JSON)
def test_real_payloads_with_one_field_replaced_only_raise_user_error(
    file_name: str, data: st.DataObject, value: Any
) -> None:
    payload = webhook(file_name)
    node: Any = payload
    while isinstance(node, dict) and node:
        key = data.draw(st.sampled_from(sorted(node)))
        if not isinstance(node[key], dict) or data.draw(st.booleans()):
            node[key] = value
            break
        node = node[key]
    parse_or_refuse(file_name.split(".")[0], payload)
