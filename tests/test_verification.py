from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from example_provider.settings import SettingsError, load_settings
from example_provider.verification import CONSUMER_VERSION_SELECTORS, origin, plan_verification

SECRET = "s3cr3t-token-value"  # noqa: S105 - a marker to look for in output
BROKER = "http://127.0.0.1:9292"


PROVIDER = "pactflow-example-provider-python"


def write_pact(path: Path, provider: str = PROVIDER) -> Path:
    path.write_text(json.dumps({"consumer": {"name": "c"}, "provider": {"name": provider}, "interactions": []}))
    return path


@pytest.fixture
def pact_dir(tmp_path: Path) -> Path:
    write_pact(tmp_path / "a.json")
    return tmp_path


def test_bundled_pacts_are_the_default() -> None:
    plan = plan_verification(load_settings(pact_dir=None))
    assert plan.source == "directory"
    assert Path(plan.location) == Path(__file__).resolve().parents[1] / "pacts"


def test_local_directory(pact_dir: Path) -> None:
    plan = plan_verification(load_settings(pact_dir=pact_dir, git_commit="abc", git_branch="main"))
    assert (plan.source, plan.location, plan.publish) == ("directory", str(pact_dir), None)
    assert "not publishing" in plan.describe()


def test_broker_when_its_url_is_set(pact_dir: Path) -> None:
    settings = load_settings(
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
    assert plan.provider_branch == "feat/x"
    assert plan.credentials.token is not None
    assert SECRET not in plan.describe()
    assert SECRET not in repr(plan)


def test_pact_url_wins_over_the_broker(pact_dir: Path) -> None:
    url = f"{BROKER}/pacts/provider/p/consumer/c/version/1"
    settings = load_settings(
        pact_dir=pact_dir, broker_base_url=BROKER, broker_username="u", broker_password=SECRET, pact_url=url
    )
    plan = plan_verification(settings)
    assert (plan.source, plan.location) == ("url", url)
    assert plan.credentials.username == "u"
    assert SECRET not in plan.describe()


def test_pact_url_may_be_a_local_file(pact_dir: Path) -> None:
    plan = plan_verification(load_settings(pact_url=str(pact_dir / "a.json")))
    assert plan.source == "url"


def test_publish_options_only_when_enabled(pact_dir: Path) -> None:
    common = {"pact_dir": pact_dir, "broker_base_url": BROKER, "git_commit": "abc", "git_branch": "main"}
    assert plan_verification(load_settings(**common)).publish is None
    plan = plan_verification(load_settings(**common, publish_verification_results=True, build_url="http://ci/1"))
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
    settings = load_settings(**overrides)
    if "git_branch" in overrides:
        settings.git_branch = None  # as in a detached checkout
    with pytest.raises(SettingsError, match=named):
        plan_verification(settings)


def test_empty_directory_fails_unless_allowed(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="PACT_FAIL_IF_NO_PACTS_FOUND"):
        plan_verification(load_settings(pact_dir=tmp_path))
    plan = plan_verification(load_settings(pact_dir=tmp_path, fail_if_no_pacts_found=False))
    assert plan.fail_if_no_pacts is False


def test_every_local_pact_is_verified_under_the_provider_name_it_gives(tmp_path: Path) -> None:
    """The verifier replays only pacts naming the provider it is given and skips the rest in
    silence; pact-js consumers call this API `pactflow-example-provider`, others name it after
    their own example provider. A pact in PACT_DIR is verified whatever name it uses."""
    write_pact(tmp_path / "js.json", provider="pactflow-example-provider")
    plan = plan_verification(load_settings(pact_dir=tmp_path))
    assert plan.provider_names == ("pactflow-example-provider",)
    assert "including pacts that call this provider 'pactflow-example-provider'" in plan.describe()
    write_pact(tmp_path / "python.json")
    write_pact(tmp_path / "dotnet.json", provider="pactflow-example-provider-dotnet")
    assert plan_verification(load_settings(pact_dir=tmp_path)).provider_names == (
        PROVIDER,
        "pactflow-example-provider",
        "pactflow-example-provider-dotnet",
    )


@pytest.mark.parametrize("content", ["not json", "[]", '{"provider": {}}', '{"provider": {"name": 3}}'])
def test_a_file_that_is_not_a_pact_is_named(tmp_path: Path, content: str) -> None:
    (tmp_path / "junk.json").write_text(content)
    with pytest.raises(SettingsError, match=r"PACT_DIR: .*junk.json.* is not a pact file"):
        plan_verification(load_settings(pact_dir=tmp_path))
    with pytest.raises(SettingsError, match=r"PACT_URL: .*junk.json.* is not a pact file"):
        plan_verification(load_settings(pact_url=str(tmp_path / "junk.json")))


def test_a_pact_url_file_is_verified_under_the_provider_name_it_gives(tmp_path: Path) -> None:
    path = write_pact(tmp_path / "js.json", provider="pactflow-example-provider")
    assert plan_verification(load_settings(pact_url=str(path))).provider_names == ("pactflow-example-provider",)


def test_a_local_pact_url_cannot_publish(pact_dir: Path) -> None:
    """Results need the broker links a local file lacks: say so before verifying, not after."""
    settings = load_settings(pact_url=str(pact_dir / "a.json"), publish_verification_results=True, git_commit="abc")
    with pytest.raises(SettingsError, match=r"PACT_URL: .* is a local file.*PACT_BROKER_PUBLISH_VERIFICATION_RESULTS"):
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
    settings = load_settings(pact_url=pact_url, broker_base_url=BROKER, broker_token=SECRET)
    if allowed:
        assert plan_verification(settings).credentials.token is not None
        return
    with pytest.raises(SettingsError, match=r"^PACT_URL: .* is not the Pact Broker in PACT_BROKER_BASE_URL") as raised:
        plan_verification(settings)
    assert SECRET not in str(raised.value)


def test_a_pact_url_without_credentials_may_be_anywhere() -> None:
    plan = plan_verification(load_settings(pact_url="https://pacts.example/p.json"))
    assert (plan.source, plan.credentials.describe()) == ("url", "no authentication")
    with pytest.raises(SettingsError, match=r"\(unset\)"):
        plan_verification(load_settings(pact_url="https://pacts.example/p.json", broker_token=SECRET))


def test_origin_leaves_out_default_ports_and_credentials() -> None:
    assert origin("HTTPS://User:pw@Broker.Example:443/x") == "https://broker.example"
    assert origin("http://broker.example:8080/x") == "http://broker.example:8080"
