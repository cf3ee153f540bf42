from __future__ import annotations

import logging

import pytest

from example_provider.products import SEED_PRODUCTS, Product, ProductRepository
from example_provider.provider_states import (
    Action,
    Params,
    ProviderStates,
    StateValues,
    UnknownProviderStateError,
    known_states,
)


@pytest.fixture
def states() -> ProviderStates:
    return ProviderStates(ProductRepository())


def test_product_exists(states: ProviderStates) -> None:
    states.repository.delete("10")
    states.handle("a product with ID 10 exists", "setup", {})
    product = states.repository.get("10")
    assert product is not None
    assert product.name == "28 Degrees"


@pytest.mark.parametrize("product_id", [pytest.param(42, id="number"), pytest.param("abc", id="string")])
def test_product_exists_honours_the_id_parameter(states: ProviderStates, product_id: object) -> None:
    states.handle("a product with ID 10 exists", "setup", {"id": product_id})
    assert states.repository.get(str(product_id)) is not None


def test_product_does_not_exist(states: ProviderStates) -> None:
    states.handle("a product with ID 11 does not exist", "setup", None)
    assert states.repository.get("11") is None
    assert states.repository.get("10") is not None


def test_product_does_not_exist_honours_the_id_parameter(states: ProviderStates) -> None:
    states.handle("a product with ID 11 does not exist", "setup", {"id": "09"})
    assert states.repository.get("09") is None
    assert states.repository.get("11") is not None


@pytest.mark.parametrize("name", ["products exist", "products exists"])
def test_products_exist(states: ProviderStates, name: str) -> None:
    states.repository.update(lambda _: [])
    states.handle(name, "setup", {})
    assert states.repository.all() == SEED_PRODUCTS


@pytest.mark.parametrize("name", ["products exist", "products exists"])
def test_products_exist_puts_this_repository_s_seed_in_place(name: str) -> None:
    """Like every other state: the seed the repository was created with, not the module's."""
    own_seed = (Product(id="1", type="T", name="n", version="v"),)
    states = ProviderStates(ProductRepository(own_seed))
    states.repository.update(lambda _: [])
    states.handle(name, "setup", {})
    assert states.repository.all() == own_seed


TWO_STATES = [("a product with ID 10 exists", {"id": "42"}), ("a product with ID 11 does not exist", {})]


@pytest.mark.parametrize("order", [TWO_STATES, TWO_STATES[::-1]], ids=["pact order", "reversed"])
def test_states_compose(states: ProviderStates, order: list[tuple[str, dict[str, object]]]) -> None:
    """An interaction with two `given()`s gets both: each state builds on the ones before it."""
    for name, params in order:
        states.handle(name, "setup", params)
    assert states.repository.get("42") is not None
    assert states.repository.get("11") is None
    assert states.repository.get("10") is not None


def test_products_exist_keeps_what_other_states_added(states: ProviderStates) -> None:
    states.handle("a product exists", "setup", {"id": "42"})
    states.handle("products exist", "setup", {})
    assert [p.id for p in states.repository.all()] == [*(p.id for p in SEED_PRODUCTS), "42"]


def test_products_exist_puts_the_seed_back_over_earlier_states(states: ProviderStates) -> None:
    """Later states win: `products exist` after a removal means the seed's products exist again."""
    states.handle("a product with ID 11 does not exist", "setup", {})
    states.handle("products exist", "setup", {})
    assert states.repository.get("11") == SEED_PRODUCTS[2]


def test_the_no_state_hook_restores_the_seed(states: ProviderStates) -> None:
    states.handle("a product with ID 10 exists", "setup", {"id": "42"})
    states.handle("", "setup", {})
    assert states.repository.all() == SEED_PRODUCTS


@pytest.mark.parametrize(
    ("name", "params", "values"),
    [
        pytest.param("a product with ID 10 exists", {}, {"id": "10"}, id="ID 10 exists"),
        pytest.param("a product with ID 10 exists", {"id": 42}, {"id": "42"}, id="ID 10 exists, id 42"),
        pytest.param("a product exists", {}, {"id": "10"}, id="a product exists"),
        pytest.param("a product exists", {"id": "abc"}, {"id": "abc"}, id="a product exists, id abc"),
        pytest.param("a product with ID 11 does not exist", {"id": "42"}, {}, id="does not exist"),
        pytest.param("products exist", {}, {}, id="products exist"),
        pytest.param("", {}, {}, id="no state"),
    ],
)
def test_setup_hands_back_values(states: ProviderStates, name: str, params: Params, values: StateValues) -> None:
    """What `fromProviderState` expressions resolve against; "does not exist" would overwrite an earlier id."""
    assert states.handle(name, "setup", params) == values
    assert states.handle(name, "teardown", params) == {}


def test_a_product_exists_takes_every_field_from_its_params(states: ProviderStates) -> None:
    params = {"id": "77", "name": "Sale", "type": "DEBIT_CARD", "version": 3}
    states.handle("a product exists", "setup", params)
    assert states.repository.get("77") == Product(id="77", name="Sale", type="DEBIT_CARD", version="3")


def test_a_product_exists_defaults_missing_params(states: ProviderStates) -> None:
    states.repository.delete("10")
    states.handle("a product exists", "setup", {"name": "Only the name"})
    assert states.repository.get("10") == Product(id="10", type="CREDIT_CARD", name="Only the name", version="v1")


@pytest.mark.parametrize(
    ("name", "params"),
    [
        pytest.param("a product is on sale", {}, id="unknown state"),
        pytest.param("a product exists", {"name": None}, id="bad params"),
        pytest.param("a product with ID 11 does not exist", {"id": [11]}, id="bad id"),
    ],
)
def test_a_failing_setup_restores_the_seed(states: ProviderStates, name: str, params: Params) -> None:
    """No half-made interaction: the state before it succeeded, this one failed, the data is the seed."""
    states.handle("a product with ID 10 exists", "setup", {"id": "42"})
    with pytest.raises((LookupError, ValueError)):
        states.handle(name, "setup", params)
    assert states.repository.all() == SEED_PRODUCTS


@pytest.mark.parametrize("name", [*known_states(), ""])
def test_teardown_restores_the_seeded_catalogue(states: ProviderStates, name: str) -> None:
    states.handle(name, "setup", {"id": "77"})
    states.repository.create(Product(id="leftover", type="T", name="n", version="v"))
    states.handle(name, "teardown", {"id": "77"})
    assert states.repository.all() == SEED_PRODUCTS


def test_an_unknown_state_is_one_line_its_traceback_at_debug(
    states: ProviderStates, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(UnknownProviderStateError, match="a product is on sale"), caplog.at_level(logging.DEBUG):
        states.handle("a product is on sale")
    [warning] = [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert warning.getMessage().startswith("unknown provider state 'a product is on sale': add it to ")
    assert warning.exc_info is None
    assert [record.exc_info is not None for record in caplog.records if record.levelno == logging.DEBUG] == [True]


def test_handler_errors_are_logged_with_traceback(states: ProviderStates, caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(ValueError, match="'id'"), caplog.at_level(logging.ERROR):
        states.handle("a product with ID 10 exists", "setup", {"id": {"nested": 1}})
    assert "Traceback" in caplog.text
    assert "a product with ID 10 exists" in caplog.text


def test_unknown_action_is_rejected(states: ProviderStates) -> None:
    with pytest.raises(ValueError, match="setup' or 'teardown"):
        states.handle("products exist", "reset", {})  # type: ignore[arg-type]


class SwapRecorder(ProductRepository):
    """A repository that records every catalogue it swaps in."""

    def __init__(self) -> None:
        super().__init__()
        self.swaps: list[tuple[Product, ...]] = []

    def _swap(self, products: tuple[Product, ...]) -> None:
        self.swaps.append(products)
        super()._swap(products)


@pytest.mark.parametrize("action", ["setup", "teardown"])
@pytest.mark.parametrize("name", [*known_states(), ""])
def test_each_state_change_is_one_swap(name: str, action: Action) -> None:
    """A state change split in two (reset, then put) lets a concurrent change land in between."""
    repository = SwapRecorder()
    repository.create(Product(id="leftover", type="T", name="n", version="v"))
    repository.swaps.clear()
    ProviderStates(repository).handle(name, action, {"id": "10"})  # an id the seed holds
    assert len(repository.swaps) == 1, repository.swaps
    assert repository.swaps[0] == repository.all()
