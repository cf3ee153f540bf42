"""The consumers' provider states, on SQLite and on PostgreSQL: each a change of rows, in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import URL, event
from sqlalchemy.orm import Session

from example_provider import products
from example_provider.app import create_app
from example_provider.db import make_engine
from example_provider.products import SEED_PRODUCTS, Product
from example_provider.provider_states import (
    DEFAULT_PRODUCT,
    Params,
    UnknownProviderStateError,
    known_states,
    set_up,
    set_up_all,
)
from example_provider.verifier_endpoints import PROVIDER_STATES_PATH
from tests.service.rows import store_only, stored
from tests.service.stored_events import stored_events

LOCAL = "http://127.0.0.1:8000"  # how a verifier on this machine addresses the server
SEED = list(SEED_PRODUCTS)
LEFTOVER = Product(id="leftover", type="T", name="n", version="v")
PIZZA = Product(id="27", type="Pizza", name="Margharita", version="v1")
EVERY_STATE = [*known_states(), ""]  # "": the hook the verifier calls for an interaction with no state
STATES_WITHOUT_PARAMS = {"products exist", "products exists", ""}  # nothing a consumer sends can fail them


@pytest.fixture
def verifier(database: URL) -> Iterator[TestClient]:
    """The app with its state endpoint, addressed as a local verifier does; no relay: the states' commits alone."""
    with TestClient(create_app(database, provider_states=True, relay=False), base_url=LOCAL) as client:
        yield client


def _change(client: TestClient, state: str, params: Params, action: str = "setup") -> Any:
    response = client.post(PROVIDER_STATES_PATH, json={"state": state, "params": params, "action": action})
    assert response.status_code == 200, response.text
    return response.json()


def test_product_exists(session: Session) -> None:
    products.remove(session, "10")
    set_up(session, "a product with ID 10 exists", {})
    assert products.get_product(session, "10") == DEFAULT_PRODUCT


@pytest.mark.parametrize("product_id", [pytest.param(42, id="number"), pytest.param("abc", id="string")])
def test_product_exists_honours_the_id_parameter(session: Session, product_id: object) -> None:
    set_up(session, "a product with ID 10 exists", {"id": product_id})
    assert products.get_product(session, str(product_id)) == DEFAULT_PRODUCT.model_copy(update={"id": str(product_id)})


def test_a_product_exists_takes_every_field_from_its_params(session: Session) -> None:
    set_up(session, "a product exists", {"id": "77", "name": "Sale", "type": "DEBIT_CARD", "version": 3})
    assert products.get_product(session, "77") == Product(id="77", name="Sale", type="DEBIT_CARD", version="3")


def test_a_product_exists_defaults_missing_params(session: Session) -> None:
    products.remove(session, "10")
    set_up(session, "a product exists", {"name": "Only the name"})
    assert products.get_product(session, "10") == DEFAULT_PRODUCT.model_copy(update={"name": "Only the name"})


def test_product_does_not_exist(session: Session) -> None:
    set_up(session, "a product with ID 11 does not exist", {})
    assert [p.id for p in products.all_products(session)] == ["09", "10"]


def test_product_does_not_exist_honours_the_id_parameter(session: Session) -> None:
    set_up(session, "a product does not exist", {"id": "09"})
    assert [p.id for p in products.all_products(session)] == ["10", "11"]


@pytest.mark.parametrize("name", ["products exist", "products exists"])
def test_products_exist(session: Session, name: str) -> None:
    store_only(session, [])
    set_up(session, name, {})
    assert products.all_products(session) == SEED


def test_products_exist_keeps_what_other_states_added(session: Session) -> None:
    set_up(session, "a product exists", {"id": "42"})
    set_up(session, "products exist", {})
    assert [p.id for p in products.all_products(session)] == ["09", "10", "11", "42"]


def test_products_exist_puts_the_seed_back_over_earlier_states(session: Session) -> None:
    """Later states win: `products exist` after a removal means the seed's products exist again."""
    set_up(session, "a product with ID 11 does not exist", {})
    set_up(session, "products exist", {})
    assert products.get_product(session, "11") == SEED_PRODUCTS[2]


def test_the_no_state_hook_cleans_then_seeds(session: Session) -> None:
    store_only(session, [LEFTOVER, SEED_PRODUCTS[1].model_copy(update={"name": "Renamed"})])
    set_up(session, "", {})
    assert products.all_products(session) == SEED


@pytest.mark.parametrize(
    ("name", "params", "error", "reason"),
    [
        pytest.param("a product is on sale", {}, UnknownProviderStateError, "'a product is on sale'", id="unknown"),
        pytest.param("a product exists", {"name": None}, ValueError, "parameter 'name'", id="bad params"),
        pytest.param("a product with ID 11 does not exist", {"id": [11]}, ValueError, "parameter 'id'", id="bad id"),
        pytest.param("a product with ID 10 exists", {"id": {"n": 1}}, ValueError, "parameter 'id'", id="nested id"),
    ],
)
def test_a_state_that_cannot_be_set_up_says_why(
    session: Session, name: str, params: Params, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error) as raised:
        set_up(session, name, params)
    assert reason in str(raised.value)
    assert "\n" not in str(raised.value)


def test_an_unknown_state_names_the_known_ones(session: Session) -> None:
    with pytest.raises(UnknownProviderStateError) as raised:
        set_up(session, "a product is on sale", {})
    assert raised.value.state == "a product is on sale"
    for name in known_states():
        assert repr(name) in str(raised.value)


TWO_STATES: list[tuple[str, Params]] = [
    ("a product with ID 10 exists", {"id": "42"}),
    ("a product with ID 11 does not exist", {}),
]


@pytest.mark.parametrize("order", [TWO_STATES, TWO_STATES[::-1]], ids=["pact order", "reversed"])
def test_states_compose_from_the_seed_and_hand_back_their_values(
    session: Session, order: list[tuple[str, Params]]
) -> None:
    """An interaction with two `given()`s gets both, whatever the rows were; each builds on the ones before it."""
    store_only(session, [LEFTOVER])
    assert set_up_all(session, order) == {"id": "42"}
    assert [p.id for p in products.all_products(session)] == ["09", "10", "42"]


@pytest.mark.parametrize("order", [TWO_STATES, TWO_STATES[::-1]], ids=["pact order", "reversed"])
def test_states_compose_through_the_endpoint(
    verifier: TestClient, session: Session, order: list[tuple[str, Params]]
) -> None:
    """One call per state, each committed: the next state sees what the one before it committed."""
    assert [_change(verifier, name, params) for name, params in order] == (
        [{"id": "42"}, {}] if order == TWO_STATES else [{}, {"id": "42"}]
    )
    assert [p.id for p in stored(session)] == ["09", "10", "42"]


@pytest.mark.parametrize(
    ("name", "params", "values"),
    [
        pytest.param("a product with ID 10 exists", {}, {"id": "10"}, id="ID 10 exists"),
        pytest.param("a product with ID 10 exists", {"id": 42}, {"id": "42"}, id="ID 10 exists, id 42"),
        pytest.param("a product exists", {}, {"id": "10"}, id="a product exists"),
        pytest.param("a product exists", {"id": "abc"}, {"id": "abc"}, id="a product exists, id abc"),
        pytest.param("a product with ID 11 does not exist", {"id": "42"}, {}, id="does not exist"),
        pytest.param("a product does not exist", {"id": "42"}, {}, id="a product does not exist"),
        pytest.param("products exist", {}, {}, id="products exist"),
        pytest.param("products exists", {}, {}, id="products exists"),
        pytest.param("", {}, {}, id="no state"),
    ],
)
def test_setup_hands_back_values(verifier: TestClient, name: str, params: Params, values: dict[str, str]) -> None:
    """What `fromProviderState` expressions resolve against; "does not exist" would overwrite an earlier id."""
    assert _change(verifier, name, params) == values
    assert _change(verifier, name, params, "teardown") == {}


def test_every_state_is_listed_and_handled() -> None:
    assert set(known_states()) == {
        "a product exists",
        "a product with ID 10 exists",
        "a product does not exist",
        "a product with ID 11 does not exist",
        "products exist",
        "products exists",
    }


@pytest.mark.parametrize("name", EVERY_STATE)
def test_setup_then_teardown_restores_the_seed(verifier: TestClient, session: Session, name: str) -> None:
    store_only(session, [LEFTOVER, SEED_PRODUCTS[1].model_copy(update={"name": "Renamed"})])
    _change(verifier, name, {"id": "77"})
    products.create(session, PIZZA)  # a write between setup and teardown, as the interaction's request makes
    assert PIZZA in stored(session)
    assert _change(verifier, name, {"id": "77"}, "teardown") == {}
    assert stored(session) == SEED


@pytest.mark.parametrize("name", [name for name in EVERY_STATE if name not in STATES_WITHOUT_PARAMS])
def test_a_failing_setup_restores_the_seed(verifier: TestClient, session: Session, name: str) -> None:
    """No half-made interaction: the state before it succeeded, this one failed, the rows are the seed."""
    _change(verifier, "a product exists", {"id": "42"})
    response = verifier.post(PROVIDER_STATES_PATH, json={"state": name, "params": {"id": ["not", "an", "id"]}})
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"provider state {name!r} failed: state parameter 'id'")
    assert stored(session) == SEED


def test_an_unknown_state_is_a_400_naming_it_and_the_seed_is_restored(
    verifier: TestClient, session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    _change(verifier, "a product exists", {"id": "42"})
    with caplog.at_level(logging.WARNING, logger="example_provider"):
        response = verifier.post(PROVIDER_STATES_PATH, json={"state": "a product is on sale"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("unknown provider state 'a product is on sale'")
    assert "a product is on sale" in caplog.text
    assert "the seed is restored" in caplog.text
    assert stored(session) == SEED


@pytest.mark.parametrize("action", ["setup", "teardown"])
@pytest.mark.parametrize("name", EVERY_STATE)
def test_each_state_change_is_one_transaction_and_stores_no_event(
    verifier: TestClient, session: Session, name: str, action: str
) -> None:
    """Readers see the rows before a change or after it, never half of it (a clean without its seed)."""
    store_only(session, [LEFTOVER])
    commits: list[object] = []
    engine = verifier.app.state.engine  # type: ignore[attr-defined]
    event.listen(engine, "commit", commits.append)
    _change(verifier, name, {"id": "10"}, action)  # an id the seed holds
    assert len(commits) == 1
    assert stored_events(session) == []


@pytest.mark.parametrize("name", EVERY_STATE)
def test_a_state_set_up_is_not_seen_until_it_commits(database: URL, session: Session, name: str) -> None:
    store_only(session, [LEFTOVER])
    engine = make_engine(database)
    try:
        with Session(engine) as writer:
            set_up(writer, name, {"id": LEFTOVER.id})
            writer.flush()
            assert products.all_products(writer) != [LEFTOVER], "the state changed nothing: no proof"
            assert stored(session) == [LEFTOVER]
    finally:
        engine.dispose()
    assert stored(session) == [LEFTOVER], "a state set up without a commit was kept"


def test_a_state_whose_params_make_no_product_fails_in_one_line_without_the_input(database: URL) -> None:
    app = create_app(database, provider_states=True)
    change = {"state": "a product exists", "params": {"id": ".not-an-id", "name": "secret-ish input"}}
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        response = client.post(PROVIDER_STATES_PATH, json=change)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("provider state 'a product exists' failed: id: String should match pattern")
    assert "\n" not in detail
    assert ".not-an-id" not in detail
    assert "errors.pydantic.dev" not in detail
