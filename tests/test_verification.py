from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from example_provider.settings import SettingsError, load_settings
from example_provider.verification import CONSUMER_VERSION_SELECTORS, plan_verification

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


def test_pacts_naming_an_alias_are_verified_under_that_name(tmp_path: Path) -> None:
    """The pact-js example consumers call this API `pactflow-example-provider` (the default alias)."""
    write_pact(tmp_path / "js.json", provider="pactflow-example-provider")
    plan = plan_verification(load_settings(pact_dir=tmp_path))
    assert plan.provider_names == ("pactflow-example-provider",)
    assert plan.notes == ()
    assert "'pactflow-example-provider'" in plan.describe()
    write_pact(tmp_path / "python.json")
    assert plan_verification(load_settings(pact_dir=tmp_path)).provider_names == (
        PROVIDER,
        "pactflow-example-provider",
    )


def test_pacts_for_an_unknown_provider_are_not_silently_skipped(tmp_path: Path) -> None:
    """The verifier skips them and reports success; the plan must refuse instead."""
    write_pact(tmp_path / "js.json", provider="pactflow-example-provider")
    with pytest.raises(
        SettingsError, match=r"no pact in .* is for provider 'pactflow-example-provider-python'"
    ) as raised:
        plan_verification(load_settings(pact_dir=tmp_path, provider_aliases=""))
    assert "PACT_PROVIDER_ALIASES" in str(raised.value)
    assert "PACTICIPANT" in str(raised.value)
    write_pact(tmp_path / "js.json", provider="user-api")
    with pytest.raises(SettingsError, match=r"or its aliases 'pactflow-example-provider' \(they name 'user-api'\)"):
        plan_verification(load_settings(pact_dir=tmp_path))
    plan = plan_verification(load_settings(pact_dir=tmp_path, provider_aliases="billing, user-api"))
    assert (plan.provider_names, plan.notes) == (("user-api",), ())


def test_aliases_come_comma_separated_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_PROVIDER_ALIASES", " a ,b,, ")
    assert load_settings().provider_aliases == ("a", "b")
    monkeypatch.setenv("PACT_PROVIDER_ALIASES", "")
    assert load_settings().provider_aliases == ()


def test_other_providers_pacts_beside_ours_are_noted(pact_dir: Path) -> None:
    write_pact(pact_dir / "other.json", provider="user-api")
    plan = plan_verification(load_settings(pact_dir=pact_dir))
    aliases = "or an alias in PACT_PROVIDER_ALIASES"
    assert plan.notes == (f"not verifying other.json: it is a pact with 'user-api', not with {PROVIDER!r} {aliases}",)
    assert plan.provider_names == (PROVIDER,)


@pytest.mark.parametrize("content", ["not json", "[]", '{"provider": {}}', '{"provider": {"name": 3}}'])
def test_a_file_that_is_not_a_pact_is_named(tmp_path: Path, content: str) -> None:
    (tmp_path / "junk.json").write_text(content)
    with pytest.raises(SettingsError, match=r"PACT_DIR: .*junk.json.* is not a pact file"):
        plan_verification(load_settings(pact_dir=tmp_path))
    with pytest.raises(SettingsError, match=r"PACT_URL: .*junk.json.* is not a pact file"):
        plan_verification(load_settings(pact_url=str(tmp_path / "junk.json")))


def test_a_pact_url_file_for_another_provider_is_refused(tmp_path: Path) -> None:
    path = write_pact(tmp_path / "js.json", provider="user-api")
    with pytest.raises(SettingsError, match="PACT_URL"):
        plan_verification(load_settings(pact_url=str(path)))


def test_a_pact_url_file_naming_an_alias_is_verified_as_that_name(tmp_path: Path) -> None:
    path = write_pact(tmp_path / "js.json", provider="pactflow-example-provider")
    assert plan_verification(load_settings(pact_url=str(path))).provider_names == ("pactflow-example-provider",)


def test_a_local_pact_url_cannot_publish(pact_dir: Path) -> None:
    """Results need the broker links a local file lacks: say so before verifying, not after."""
    settings = load_settings(pact_url=str(pact_dir / "a.json"), publish_verification_results=True, git_commit="abc")
    with pytest.raises(SettingsError, match=r"PACT_URL: .* is a local file.*PACT_BROKER_PUBLISH_VERIFICATION_RESULTS"):
        plan_verification(settings)
