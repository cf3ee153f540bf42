"""Product events on Amazon SNS, without AWS: moto's SNS and SQS on loopback, the real server over HTTP.

An SQS queue subscribed to the topic with RawMessageDelivery receives each message as it was
published, so the test reads exactly what a consumer would. Fake credentials live only in the
environment of this process and of the server it starts.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from example_provider.events import EventKind, ProductEvent, PublishError, product_event
from example_provider.pipeline.server import LOOPBACK
from example_provider.products import Product
from example_provider.publishers import CONNECT_TIMEOUT, MAX_ATTEMPTS, READ_TIMEOUT, SnsPublisher
from tests.process import run_provider
from tests.servers import refusing_url, silent_url

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

REGION = "eu-west-1"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any
    "AWS_SESSION_TOKEN": "testing",
    "AWS_CONFIG_FILE": os.devnull,  # nothing of the developer's AWS set-up
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
PIZZA = Product(id="27", type="Pizza", name="Margharita", version="v1")


@dataclass
class Topic:
    endpoint: str
    arn: str
    queue_url: str
    sqs: SQSClient

    def env(self) -> dict[str, str]:
        return {**FAKE_AWS, "AWS_ENDPOINT_URL": self.endpoint, "PRODUCT_EVENTS_TOPIC_ARN": self.arn}

    def received(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        """The next `count` messages on the queue, in the order they arrived."""
        messages: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(messages) < count and time.monotonic() < deadline:
            answer = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
            )
            for message in answer.get("Messages", []):
                messages.append(dict(message))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return messages


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def topic(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Topic:
    """A fresh topic with a raw-delivery queue subscribed; this process sees the fake credentials."""
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    name = f"products-{request.node.name}".translate(str.maketrans("[]/ ", "----"))[:70]
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    arn = sns.create_topic(Name=name)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})
    return Topic(moto_endpoint, arn, queue_url, sqs)


def _request(method: str, url: str, body: Product | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310 - loopback http only
        url,
        data=body.model_dump_json().encode() if body else None,
        headers={"Content-Type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _as_sent(message: dict[str, Any]) -> tuple[str, dict[str, str]]:
    attributes = {name: value["StringValue"] for name, value in message.get("MessageAttributes", {}).items()}
    return message["Body"], attributes


def _expected(event: ProductEvent) -> tuple[str, dict[str, str]]:
    return event.body.decode(), event.metadata


def test_writes_deliver_created_updated_deleted_in_order(topic: Topic) -> None:
    """The real `example-provider`, configured by environment only, as it would be deployed."""
    renamed = PIZZA.model_copy(update={"name": "Marinara"})
    with run_provider(env=topic.env()) as provider:
        assert _request("POST", provider.base_url + "/products", PIZZA)[0] == 201
        assert _request("PUT", provider.base_url + "/products/27", renamed)[0] == 200
        assert _request("DELETE", provider.base_url + "/products/27")[0] == 204
        assert _request("POST", provider.base_url + "/products", renamed.model_copy(update={"id": "10"}))[0] == 409
    assert f"product events go to SNS topic {topic.arn}" in provider.output
    assert [_as_sent(m) for m in topic.received(4, timeout=2)] == [
        _expected(product_event(PIZZA, EventKind.CREATED)),
        _expected(product_event(renamed, EventKind.UPDATED)),
        _expected(product_event(renamed, EventKind.DELETED)),
    ]


def test_the_adapter_publishes_the_builders_body_and_metadata(topic: Topic) -> None:
    event = product_event(PIZZA, EventKind.UPDATED)
    SnsPublisher(topic.arn).publish(event)
    [message] = topic.received(1)
    assert _as_sent(message) == _expected(event)


def test_an_sns_error_is_a_publish_error(topic: Topic) -> None:
    missing = topic.arn.rsplit(":", 1)[0] + ":no-such-topic"
    with pytest.raises(PublishError, match=r"^the product event was not published \(SNS answered \w+\)$"):
        SnsPublisher(missing).publish(product_event(PIZZA, EventKind.CREATED))
    assert topic.received(1, timeout=1) == []


def test_an_unreachable_topic_answers_503_within_seconds_and_changes_nothing(topic: Topic) -> None:
    with refusing_url() as nowhere, run_provider(env={**topic.env(), "AWS_ENDPOINT_URL": nowhere}) as provider:
        started = time.monotonic()
        status, body = _request("POST", provider.base_url + "/products", PIZZA)
        elapsed = time.monotonic() - started
        assert _request("GET", provider.base_url + "/products/27")[0] == 404
        assert _request("DELETE", provider.base_url + "/products/10")[0] == 503
        assert _request("GET", provider.base_url + "/products/10")[0] == 200
    assert status == 503
    detail = json.loads(body)["detail"]
    assert detail == "the product event was not published (EndpointConnectionError); nothing was changed, try again"
    assert elapsed < 10
    assert "testing" not in body.decode()


def test_a_topic_that_never_answers_fails_within_the_attempts_and_timeouts(
    topic: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not after minutes of retries: MAX_ATTEMPTS tries of READ_TIMEOUT each, and botocore's short backoff."""
    with silent_url() as hung:
        monkeypatch.setenv("AWS_ENDPOINT_URL", hung)
        publisher = SnsPublisher(topic.arn)
        assert publisher._client.meta.config.retries == {"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"}  # type: ignore[attr-defined]
        started = time.monotonic()
        with pytest.raises(PublishError, match=r"not published \(ReadTimeoutError\)"):
            publisher.publish(product_event(PIZZA, EventKind.CREATED))
        elapsed = time.monotonic() - started
    assert MAX_ATTEMPTS * READ_TIMEOUT <= elapsed < MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + 2


def test_the_region_is_the_topics(topic: Topic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    SnsPublisher(topic.arn).publish(product_event(PIZZA, EventKind.CREATED))
    assert len(topic.received(1)) == 1


def test_an_endpoint_that_is_not_a_url_stops_the_server_with_one_line(topic: Topic) -> None:
    with (
        pytest.raises(RuntimeError, match=r"example-provider: PRODUCT_EVENTS_TOPIC_ARN: no SNS client .*: not a url"),
        run_provider(env={**topic.env(), "AWS_ENDPOINT_URL_SNS": "not a url"}),
    ):
        pass
