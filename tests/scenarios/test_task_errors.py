"""Bad input to a pipeline task: one line naming the setting and what to do, a non-zero exit, no traceback,
and nothing published to the broker."""

from __future__ import annotations

import pytest

from tests.scenarios.conftest import Pipeline

pytestmark = pytest.mark.broker


@pytest.mark.parametrize(
    ("task", "env", "starts"),
    [
        pytest.param("ci", {"PACT_BROKER_BASE_URL": ""}, "error: PACT_BROKER_BASE_URL: ", id="ci without a broker"),
        pytest.param("ci", {"PACT_URL": "https://b.example/p"}, "error: PACT_URL: ", id="ci in a webhook build"),
        pytest.param("ci", {"GIT_BRANCH": "", "GIT_COMMIT": "abc"}, "error: GIT_BRANCH: ", id="ci without a branch"),
        pytest.param("can-i-deploy", {"PACT_BROKER_BASE_URL": ""}, "error: PACT_BROKER_BASE_URL: ", id="can-i-deploy"),
        pytest.param("record-deployment", {"PACT_BROKER_BASE_URL": ""}, "error: PACT_BROKER_BASE_URL: ", id="record"),
        pytest.param("create-environment", {"PACT_BROKER_BASE_URL": ""}, "error: PACT_BROKER_BASE_URL: ", id="env"),
        pytest.param("ci-webhook", {}, "error: PACT_URL: ", id="ci-webhook without PACT_URL"),
        pytest.param(
            "ci",
            {"PACT_CONSUMER_VERSION_SELECTORS": '[{"mainbranch": true}]'},
            "error: invalid settings: PACT_CONSUMER_VERSION_SELECTORS: 'mainbranch' is not a selector field; use ",
            id="a misspelt selector",
        ),
        pytest.param("create-github-token-secret", {}, "error: GITHUB_TOKEN: ", id="secret without GITHUB_TOKEN"),
        pytest.param(
            "create-or-update-webhook",
            {"PACT_WEBHOOK_UUID": "nope", "GITHUB_REPOSITORY": "a/b"},
            "error: PACT_WEBHOOK_UUID: ",
            id="webhook with a bad UUID",
        ),
        pytest.param(
            "fake-ci",
            {"PACT_BROKER_TOKEN": "t", "PACT_BROKER_USERNAME": "u", "PACT_BROKER_PASSWORD": "p"},
            "error: invalid settings: PACT_BROKER_TOKEN cannot be combined",
            id="token and basic auth",
        ),
    ],
)
def test_bad_input_is_one_clear_error(pipeline: Pipeline, task: str, env: dict[str, str], starts: str) -> None:
    run = pipeline.task(task, **{"GIT_COMMIT": "0123456", "GIT_BRANCH": "main", **env})

    assert run.returncode != 0
    assert "Traceback" not in run.output, run.output
    errors = [line for line in run.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, run.output
    assert errors[0].startswith(starts), run.output
    assert pipeline.broker.verification_results(pipeline.provider) == []


def test_a_pact_url_that_is_no_pact_is_one_clear_error(pipeline: Pipeline) -> None:
    run = pipeline.task("ci-webhook", PACT_URL=pipeline.broker_url + "/", GIT_COMMIT="0123456")

    assert run.returncode != 0
    errors = [line for line in run.output.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: PACT_URL: {pipeline.broker_url}/ did not answer with a pact; give the URL of a pact in the broker"
    ]
    assert "Traceback" not in run.output
