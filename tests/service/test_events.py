"""The product event builder, the log publisher, and a server that never loads boto3 without a topic."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

from example_provider.events import EventKind, product_event
from example_provider.products import Product
from example_provider.publishers import LogPublisher
from tests.process import clean_env, run_provider

PIZZA = Product(id="27", type="Pizza", name="Margharita", version="v1")


@pytest.mark.parametrize("kind", list(EventKind))
def test_the_event_is_the_product_and_its_kind(kind: EventKind) -> None:
    event = product_event(PIZZA, kind)
    assert event.contents == {"id": "27", "type": "Pizza", "name": "Margharita", "version": "v1", "event": kind.value}
    assert event.metadata == {"Content-Type": "application/json", "topic": "products", "eventId": event.event_id}
    assert json.loads(event.body) == event.contents
    assert b"\n" not in event.body


def test_each_event_has_an_id_of_its_own() -> None:
    ids = {product_event(PIZZA, EventKind.UPDATED).event_id for _ in range(100)}
    assert len(ids) == 100
    assert all(uuid.UUID(event_id).version == 4 for event_id in ids)


def test_the_body_is_utf8_json() -> None:
    event = product_event(PIZZA.model_copy(update={"name": "Crème brûlée"}), EventKind.CREATED)
    assert "Crème brûlée".encode() in event.body


def test_the_log_publisher_writes_one_json_line(caplog: pytest.LogCaptureFixture) -> None:
    event = product_event(PIZZA, EventKind.UPDATED)
    with caplog.at_level(logging.INFO, logger="example_provider.publishers"):
        LogPublisher().publish(event)
    [record] = caplog.records
    assert "\n" not in record.getMessage()
    assert json.loads(record.getMessage()) == {"metadata": event.metadata, "contents": event.contents}


def test_without_a_topic_nothing_loads_boto3() -> None:
    code = (
        "import sys, example_provider.app, example_provider.cli, example_provider.publishers; "
        "from example_provider.app import events_publisher; from example_provider.settings import ServerSettings; "
        "events_publisher(ServerSettings()); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'boto3', 'botocore'}))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=clean_env(), capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_the_server_logs_each_event_as_one_json_line() -> None:
    """The real `example-provider`, with no topic: the embedded default."""
    with run_provider() as provider:
        request = urllib.request.Request(  # noqa: S310 - loopback http only
            provider.base_url + "/products",
            data=PIZZA.model_dump_json().encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            assert response.status == 201
        deadline = time.monotonic() + 10  # the relay publishes right after the commit
        while not any('"contents"' in line for line in provider.lines) and time.monotonic() < deadline:
            time.sleep(0.05)
    assert "product events go to the server log" in provider.output
    [line] = [line for line in provider.lines if '"contents"' in line]
    logged = json.loads(line[line.index("{") :])
    event = product_event(PIZZA, EventKind.CREATED)
    assert logged["contents"] == event.contents
    assert logged["metadata"] == {**event.metadata, "eventId": logged["metadata"]["eventId"]}
