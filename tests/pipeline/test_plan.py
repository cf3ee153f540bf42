from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from example_provider.pipeline.errors import PipelineError
from example_provider.pipeline.plan import CONSUMER_VERSION_SELECTORS, origin, plan_verification
from example_provider.pipeline.settings import PipelineSettings
from example_provider.settings import SettingsError, load_settings
from tests.pacts import BUNDLED_PROVIDER

SECRET = "s3cr3t-token-value"  # noqa: S105 - a marker to look for in output
BROKER = "http://127.0.0.1:9292"


PROVIDER = "plan-test-provider"  # a name of the tests' own: the PACTICIPANT default may change


@pytest.fixture(autouse=True)
def this_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACTICIPANT", PROVIDER)


def write_pact(path: Path, provider: str = PROVIDER) -> Path:
    path.write_text(json.dumps({"consumer": {"name": "c"}, "provider": {"name": provider}, "interactions": []}))
    return path


@pytest.fixture
def pact_dir(tmp_path: Path) -> Path:
    write_pact(tmp_path / "a.json")
    return tmp_path


def test_bundled_pacts_are_the_default() -> None:
    plan = plan_verification(load_settings(PipelineSettings, pact_dir=None, pacticipant=BUNDLED_PROVIDER))
    assert plan.source == "directory"
    assert Path(plan.location) == Path(__file__).resolve().parents[2] / "pacts"


def test_local_directory(pact_dir: Path) -> None:
    plan = plan_verification(load_settings(PipelineSettings, pact_dir=pact_dir, git_commit="abc", git_branch="main"))
    assert (plan.source, plan.location, plan.publish) == ("directory", str(pact_dir), None)
    assert "not publishing" in plan.describe()


def test_broker_when_its_url_is_set(pact_dir: Path) -> None:
    settings = load_settings(
        PipelineSettings,
        pact_dir=pact_dir,
        broker_base_url=BROKER,
        broker_token=SECRET,
        git_commit="abc",
        git_branch="feat/x",
        include_wip_pacts_since=dt.date(2026, 2, 1),
    )
    plan = plan_verification(settings)
    assert (plan.source, plan.location) == ("broker", BROKER)
    assert plan.consumer_version_selectors == CONSUMER_VERSION_SELECTORS
    assert {"mainBranch": True} in plan.consumer_version_selectors
    assert {"deployedOrReleased": True} in plan.consumer_version_selectors
    assert {"matchingBranch": True} in plan.consumer_version_selectors
    assert plan.include_pending is True
    assert plan.include_wip_since == dt.date(2026, 2, 1)
    assert plan_verification(settings.model_copy(update={"include_wip_pacts_since": "off"})).include_wip_since is None
    assert plan.provider_branch == "feat/x"
    assert plan.credentials.token is not None
    assert SECRET not in plan.describe()
    assert SECRET not in repr(plan)


def test_pact_url_wins_over_the_broker(pact_dir: Path) -> None:
    url = f"{BROKER}/pacts/provider/p/consumer/c/version/1"
    settings = load_settings(
        PipelineSettings,
        pact_dir=pact_dir,
        broker_base_url=BROKER,
        broker_username="u",
        broker_password=SECRET,
        pact_url=url,
    )
    plan = plan_verification(settings)
    assert (plan.source, plan.location) == ("url", url)
    assert plan.credentials.username == "u"
    assert SECRET not in plan.describe()


def test_pact_url_may_be_a_local_file(pact_dir: Path) -> None:
    plan = plan_verification(load_settings(PipelineSettings, pact_url=str(pact_dir / "a.json")))
    assert plan.source == "url"


def test_publish_options_only_when_enabled(pact_dir: Path) -> None:
    common = {"pact_dir": pact_dir, "broker_base_url": BROKER, "git_commit": "abc", "git_branch": "main"}
    assert plan_verification(load_settings(PipelineSettings, **common)).publish is None
    plan = plan_verification(
        load_settings(PipelineSettings, **common, publish_verification_results=True, build_url="http://ci/1")
    )
    assert plan.publish is not None
    assert (plan.publish.version, plan.publish.branch, plan.publish.build_url) == ("abc", "main", "http://ci/1")


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        pytest.param({"pact_dir": "does/not/exist"}, "PACT_DIR", id="missing directory"),
        pytest.param({"pact_url": "not/a/file.json"}, "PACT_URL", id="pact url neither url nor file"),
        pytest.param({"broker_base_url": BROKER, "git_branch": None}, "GIT_BRANCH", id="broker without branch"),
    ],
)
def test_unusable_sources_are_explained(overrides: dict[str, object], named: str) -> None:
    settings = load_settings(PipelineSettings, **overrides)
    if "git_branch" in overrides:
        settings.git_branch = None  # as in a detached checkout
    with pytest.raises(PipelineError, match=named):
        plan_verification(settings)


def test_empty_directory_fails_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="PACT_FAIL_IF_NO_PACTS_FOUND"):
        plan_verification(load_settings(PipelineSettings, pact_dir=tmp_path))
    plan = plan_verification(load_settings(PipelineSettings, pact_dir=tmp_path, fail_if_no_pacts_found=False))
    assert plan.fail_if_no_pacts is False


def test_only_pacts_for_this_provider_are_verified(tmp_path: Path) -> None:
    ours = write_pact(tmp_path / "python.json")
    write_pact(tmp_path / "orders.json", provider="order-service")
    write_pact(tmp_path / "billing.json", provider="billing")
    plan = plan_verification(load_settings(PipelineSettings, pact_dir=tmp_path))
    assert plan.pact_files == (ours,)
    assert plan.skipped == "skipped 2 pacts for other providers: billing, order-service"


def test_no_pact_for_this_provider_names_the_ones_found(tmp_path: Path) -> None:
    write_pact(tmp_path / "js.json", provider="pactflow-example-provider")
    with pytest.raises(PipelineError, match=rf"^PACT_DIR: there is no pact for {PROVIDER}, only "
                       r"for pactflow-example-provider; .*PACTICIPANT=<name>"):  # fmt: skip
        plan_verification(load_settings(PipelineSettings, pact_dir=tmp_path))
    plan = plan_verification(
        load_settings(PipelineSettings, pact_dir=tmp_path, pacticipant="pactflow-example-provider")
    )
    assert (plan.pact_files, plan.skipped) == ((tmp_path / "js.json",), None)


@pytest.mark.parametrize("content", ["not json", "[]", '{"provider": {}}', '{"provider": {"name": 3}}'])
def test_a_file_that_is_not_a_pact_is_named(tmp_path: Path, content: str) -> None:
    (tmp_path / "junk.json").write_text(content)
    with pytest.raises(PipelineError, match=r"PACT_DIR: .*junk.json.* is not a pact file"):
        plan_verification(load_settings(PipelineSettings, pact_dir=tmp_path))
    with pytest.raises(PipelineError, match=r"PACT_URL: .*junk.json.* is not a pact file"):
        plan_verification(load_settings(PipelineSettings, pact_url=str(tmp_path / "junk.json")))


def test_a_pact_url_file_for_another_provider_is_refused(tmp_path: Path) -> None:
    path = write_pact(tmp_path / "js.json", provider="pactflow-example-provider")
    with pytest.raises(PipelineError, match=r"^PACT_URL: there is no pact for .*PACTICIPANT"):
        plan_verification(load_settings(PipelineSettings, pact_url=str(path)))


@pytest.mark.parametrize(
    ("filters", "shown"),
    [
        pytest.param({"description_filter": "get a product"}, "PACT_DESCRIPTION='get a product'", id="description"),
        pytest.param({"state_filter": "products exist"}, "PACT_PROVIDER_STATE='products exist'", id="state"),
        pytest.param({"no_state_filter": True}, "PACT_PROVIDER_NO_STATE", id="no state"),
    ],
)
def test_filters_select_interactions_when_not_publishing(
    pact_dir: Path, filters: dict[str, object], shown: str
) -> None:
    plan = plan_verification(load_settings(PipelineSettings, pact_dir=pact_dir, **filters))
    assert f"only interactions matching {shown}" in plan.describe()


@pytest.mark.parametrize("variable", ["PACT_DESCRIPTION", "PACT_PROVIDER_STATE", "PACT_PROVIDER_NO_STATE"])
def test_a_filter_is_refused_when_publishing(monkeypatch: pytest.MonkeyPatch, variable: str) -> None:
    """A filtered run's result would overwrite the full one in the broker."""
    for name, value in {variable: "true", "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS": "true", "GIT_COMMIT": "abc",
                        "PACT_BROKER_BASE_URL": BROKER}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(PipelineSettings)
    assert variable in str(raised.value)
    assert "PACT_BROKER_PUBLISH_VERIFICATION_RESULTS=true" in str(raised.value)


def test_a_local_pact_url_cannot_publish(pact_dir: Path) -> None:
    """Results need the broker links a local file lacks: say so before verifying, not after."""
    settings = load_settings(
        PipelineSettings, pact_url=str(pact_dir / "a.json"), publish_verification_results=True, git_commit="abc"
    )
    with pytest.raises(PipelineError, match=r"PACT_URL: .* is a local file.*PACT_BROKER_PUBLISH_VERIFICATION_RESULTS"):
        plan_verification(settings)


@pytest.mark.parametrize(
    ("pact_url", "allowed"),
    [
        pytest.param(f"{BROKER}/pacts/provider/p/consumer/c/pact-version/1", True, id="the broker"),
        pytest.param("http://127.0.0.1:9292/pacts/x/metadata/abc", True, id="the broker, metadata url"),
        pytest.param("http://LOCALHOST:9292/pacts/x", False, id="another host name"),
        pytest.param("http://127.0.0.1:9293/pacts/x", False, id="another port"),
        pytest.param("https://127.0.0.1:9292/pacts/x", False, id="another scheme"),
        pytest.param("https://evil.example/pacts/x", False, id="elsewhere"),
    ],
)
def test_broker_credentials_only_go_to_the_broker(pact_url: str, *, allowed: bool) -> None:
    settings = load_settings(PipelineSettings, pact_url=pact_url, broker_base_url=BROKER, broker_token=SECRET)
    if allowed:
        assert plan_verification(settings).credentials.token is not None
        return
    with pytest.raises(PipelineError, match=r"^PACT_URL: .* is not the Pact Broker in PACT_BROKER_BASE_URL") as raised:
        plan_verification(settings)
    assert SECRET not in str(raised.value)


def test_a_pact_url_without_credentials_may_be_anywhere() -> None:
    plan = plan_verification(load_settings(PipelineSettings, pact_url="https://pacts.example/p.json"))
    assert (plan.source, plan.credentials.describe()) == ("url", "no authentication")
    with pytest.raises(PipelineError, match=r"\(unset\)"):
        plan_verification(load_settings(PipelineSettings, pact_url="https://pacts.example/p.json", broker_token=SECRET))


def test_origin_leaves_out_default_ports_and_credentials() -> None:
    assert origin("HTTPS://User:pw@Broker.Example:443/x") == "https://broker.example"
    assert origin("http://broker.example:8080/x") == "http://broker.example:8080"


def test_a_pact_url_under_the_broker_url_talks_to_that_broker_else_to_its_origin() -> None:
    pact_url = "https://host.example/pact-broker/pacts/provider/p/consumer/c/version/1"
    under = plan_verification(
        load_settings(PipelineSettings, pact_url=pact_url, broker_base_url="https://host.example/pact-broker/")
    )
    elsewhere = plan_verification(
        load_settings(PipelineSettings, pact_url=pact_url, broker_base_url="https://other.example/")
    )
    alone = plan_verification(load_settings(PipelineSettings, pact_url=pact_url))
    assert under.broker_url == "https://host.example/pact-broker"
    assert elsewhere.broker_url == alone.broker_url == "https://host.example"


def test_consumer_version_selectors_replace_the_recommended_ones() -> None:
    chosen = '[{"mainBranch": true}, {"released": true, "environment": "production"}]'
    settings = load_settings(
        PipelineSettings, broker_base_url=BROKER, git_branch="main", consumer_version_selectors=chosen
    )
    plan = plan_verification(settings)
    assert plan.consumer_version_selectors == ({"mainBranch": True}, {"released": True, "environment": "production"})
    assert "selectors {mainBranch: True}, {released: True, environment: production}" in plan.describe()


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("mainBranch", "not JSON; give a list of selector objects", id="not JSON"),
        pytest.param('{"mainBranch": true}', "not a non-empty list of selector objects", id="an object"),
        pytest.param("[]", "not a non-empty list of selector objects", id="empty"),
        pytest.param("[{}]", "not a non-empty list of selector objects", id="an empty selector"),
        pytest.param('[{"mainbranch": true}]', "'mainbranch' is not a selector field; use mainBranch, ", id="misspelt"),
        pytest.param('[{"deployed": false}]', "deployed must be true, not false", id="false"),
        pytest.param('[{"branch": 7}]', "branch must be a string, not 7", id="a number for a string"),
    ],
)
def test_bad_consumer_version_selectors_are_one_line(monkeypatch: pytest.MonkeyPatch, value: str, reason: str) -> None:
    monkeypatch.setenv("PACT_CONSUMER_VERSION_SELECTORS", value)
    with pytest.raises(SettingsError) as error:
        load_settings(PipelineSettings)
    assert str(error.value).startswith(f"invalid settings: PACT_CONSUMER_VERSION_SELECTORS: {reason}")
    assert "\n" not in str(error.value)
