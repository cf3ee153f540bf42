"""Every settings error says what to do, and doing it works: each row makes the error, then follows its advice.

Fake CI's advice, which differs (it forces publishing on), is followed in test_commands.py and the scenarios.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from example_provider.pipeline import webhook
from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.plan import plan_verification
from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import SettingsError, load_settings

BROKER = "https://broker.example"
PROVIDER = "advice-test-provider"

pytestmark = pytest.mark.usefixtures("outside_the_repository")


def _pact_dir(tmp_path: Path, provider: str = PROVIDER) -> Path:
    (tmp_path / "pacts").mkdir(exist_ok=True)
    pact = {"consumer": {"name": "c"}, "provider": {"name": provider}, "interactions": []}
    (tmp_path / "pacts" / "c.json").write_text(json.dumps(pact), encoding="utf-8")
    return tmp_path / "pacts"


def _plan(values: dict[str, Any]) -> None:
    plan_verification(load_settings(PipelineSettings, **values))


ROWS = [
    pytest.param(
        {"broker_base_url": BROKER, "broker_token": "t", "broker_username": "u", "broker_password": "p"},
        "set a token or a username and password, not both",
        {"broker_username": None, "broker_password": None},
        id="token and basic auth: one of them",
    ),
    pytest.param(
        {"broker_base_url": BROKER, "broker_username": "u"},
        "set both or neither",
        {"broker_password": "p"},
        id="a username without a password: both",
    ),
    pytest.param(
        {"broker_base_url": "https://u:p@broker.example"},
        "remove it and set PACT_BROKER_USERNAME and PACT_BROKER_PASSWORD",
        {"broker_base_url": BROKER, "broker_username": "u", "broker_password": "p"},
        id="a password in the URL: the variables",
    ),
    pytest.param(
        {"publish_verification_results": True, "git_commit": "abc"},
        "needs PACT_BROKER_BASE_URL (or PACT_URL): set it or turn off",
        {"publish_verification_results": False},
        id="publishing without a broker: turn it off",
    ),
    pytest.param(
        {"publish_verification_results": True, "git_commit": "abc"},
        "needs PACT_BROKER_BASE_URL (or PACT_URL): set it or turn off",
        {"broker_base_url": BROKER},
        id="publishing without a broker: set one",
    ),
    pytest.param(
        {"broker_base_url": BROKER, "publish_verification_results": True, "git_commit": "a", "state_filter": "s"},
        "unset the filter or turn publishing off",
        {"state_filter": None},
        id="a filter while publishing: unset it",
    ),
    pytest.param(
        {"broker_base_url": BROKER, "publish_verification_results": True, "git_commit": "a", "state_filter": "s"},
        "unset the filter or turn publishing off",
        {"publish_verification_results": False},
        id="a filter while publishing: publish off",
    ),
    pytest.param(
        {
            "pact_url": "pacts/c.json",
            "broker_base_url": BROKER,
            "publish_verification_results": True,
            "git_commit": "a",
        },
        "set PACT_BROKER_PUBLISH_VERIFICATION_RESULTS=false",
        {"publish_verification_results": False},
        id="a local PACT_URL while publishing: publish off",
    ),
    pytest.param(
        {"pact_url": "https://elsewhere.example/pacts/1", "broker_base_url": BROKER, "broker_token": "t"},
        "set PACT_BROKER_BASE_URL to the broker that serves this pact",
        {"broker_base_url": "https://elsewhere.example"},
        id="a PACT_URL on another host: that broker",
    ),
    pytest.param(
        {"broker_base_url": BROKER, "git_branch": None},
        "set GIT_BRANCH or run inside a git checkout on a branch",
        {"git_branch": "main"},
        id="broker mode without a branch: set it",
    ),
    pytest.param(
        {"pact_dir": "missing"},
        "is not a directory of pact files: point it at one",
        {"pact_dir": "pacts"},
        id="PACT_DIR not a folder: point it at one",
    ),
    pytest.param(
        {"pact_dir": "empty"},
        "add some, or set PACT_FAIL_IF_NO_PACTS_FOUND=false",
        {"fail_if_no_pacts_found": False},
        id="an empty PACT_DIR: allow it",
    ),
    pytest.param(
        {"pact_dir": "pacts", "pacticipant": "someone-else"},
        "set PACTICIPANT=<name> to the name they use",
        {"pacticipant": PROVIDER},
        id="pacts for another provider: PACTICIPANT",
    ),
    pytest.param(
        {"pact_dir": "broken"},
        "is not a pact file (JSONDecodeError",
        {"pact_dir": "pacts"},
        id="not a pact file: fix or remove it",
    ),
]


@pytest.mark.parametrize(("values", "advice", "followed"), ROWS)
def test_the_advice_works_when_followed(
    outside_the_repository: Path, values: dict[str, Any], advice: str, followed: dict[str, Any]
) -> None:
    _pact_dir(outside_the_repository)
    (outside_the_repository / "empty").mkdir()
    (outside_the_repository / "broken").mkdir()
    (outside_the_repository / "broken" / "x.json").write_text("{", encoding="utf-8")
    base = {"git_commit": None, "git_branch": "main", "pact_dir": "pacts", "pacticipant": PROVIDER}
    with pytest.raises((SettingsError, PipelineError)) as raised:
        _plan(base | values)
    assert advice in str(raised.value)
    assert "\n" not in str(raised.value)
    _plan(base | values | followed)


def test_a_bad_webhook_uuid_is_fixed_by_unsetting_it() -> None:
    settings = load_settings(PipelineSettings, webhook_uuid="nope", github_repository="acme/provider")
    with pytest.raises(PipelineError, match="unset it, and a stable one is derived"):
        webhook.webhook_uuid(settings)
    settings.webhook_uuid = None
    assert webhook.webhook_uuid(settings) == webhook.webhook_uuid(settings)
