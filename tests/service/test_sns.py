"""Product events on Amazon SNS, without AWS: moto's SNS and SQS on loopback, the real server over HTTP.

An SQS queue subscribed to the topic with RawMessageDelivery receives each message as it was
published, so the test reads exactly what a consumer would. Standard and FIFO topics; SNS down,
hung or back; kill -9; two servers on one PostgreSQL. Fake credentials live only in the
environment of this process and of the servers it starts.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from example_provider.events import EventKind, PublishError, product_event
from example_provider.pipeline.server import LOOPBACK
from example_provider.products import Product
from example_provider.publishers import CONNECT_TIMEOUT, MAX_ATTEMPTS, READ_TIMEOUT, SnsPublisher
from tests.postgres import Databases
from tests.process import run_provider
from tests.servers import not_xml_url, refusing_url, silent_url

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
                QueueUrl=self.queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageAttributeNames=["All"],
                MessageSystemAttributeNames=["MessageGroupId", "MessageDeduplicationId"],
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


@pytest.fixture(params=["standard", "fifo"])
def topic(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Topic:
    """A fresh topic (standard, then FIFO) with a raw-delivery queue subscribed; fake credentials in this process."""
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    fifo = request.param == "fifo"
    name = f"products-{uuid.uuid4().hex}" + (".fifo" if fifo else "")
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    arn = sns.create_topic(Name=name, Attributes={"FifoTopic": "true"} if fifo else {})["TopicArn"]
    queue_url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
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


def _attributes(message: dict[str, Any]) -> dict[str, str]:
    return {name: value["StringValue"] for name, value in message.get("MessageAttributes", {}).items()}


def _sent(message: dict[str, Any]) -> tuple[str, str]:
    """What the event said: its product and kind."""
    body = json.loads(message["Body"])
    return body["id"], body["event"]


def test_writes_deliver_created_updated_deleted_in_order_each_with_its_id(topic: Topic) -> None:
    """The real `example-provider`, configured by environment only, as it would be deployed."""
    renamed = PIZZA.model_copy(update={"name": "Marinara"})
    with run_provider(env=topic.env()) as provider:
        assert _request("POST", provider.base_url + "/products", PIZZA)[0] == 201
        assert _request("POST", provider.base_url + "/products", PIZZA)[0] == 409
        assert _request("PUT", provider.base_url + "/products/27", renamed)[0] == 200
        assert _request("DELETE", provider.base_url + "/products/27")[0] == 204
        messages = topic.received(4, timeout=3)
    assert f"product events go to SNS topic {topic.arn}" in provider.output
    assert [_sent(m) for m in messages] == [("27", "CREATED"), ("27", "UPDATED"), ("27", "DELETED")]
    assert [json.loads(m["Body"])["name"] for m in messages] == ["Margharita", "Marinara", "Marinara"]
    attributes = [_attributes(m) for m in messages]
    assert [{k: v for k, v in a.items() if k != "eventId"} for a in attributes] == [
        {"Content-Type": "application/json", "topic": "products"}
    ] * 3
    assert len({a["eventId"] for a in attributes}) == 3
    if topic.arn.endswith(".fifo"):
        assert [m["Attributes"]["MessageGroupId"] for m in messages] == ["27"] * 3
        assert [m["Attributes"]["MessageDeduplicationId"] for m in messages] == [a["eventId"] for a in attributes]
    else:
        assert all("MessageGroupId" not in m.get("Attributes", {}) for m in messages)


def test_the_adapter_publishes_the_builders_body_and_metadata(topic: Topic) -> None:
    event = product_event(PIZZA, EventKind.UPDATED)
    SnsPublisher(topic.arn).publish(event)
    [message] = topic.received(1)
    assert (message["Body"], _attributes(message)) == (event.body.decode(), event.metadata)


def test_an_sns_error_is_a_publish_error(topic: Topic) -> None:
    missing = topic.arn.rsplit(":", 1)[0] + ":no-such-topic"
    with pytest.raises(PublishError, match=r"^SNS refused the product event \(\w+\)$"):
        SnsPublisher(missing).publish(product_event(PIZZA, EventKind.CREATED))
    assert topic.received(1, timeout=1) == []


@pytest.mark.parametrize("topic", ["standard"], indirect=True)
def test_sns_down_then_kill_9_then_back_delivers_every_write(topic: Topic, tmp_path: Path) -> None:
    """Nothing lost: the writes succeed while SNS is down, their events outlive kill -9 and leave once it is back."""
    database = {"DATABASE_URL": f"sqlite:///{tmp_path}/catalogue.db"}
    with refusing_url() as nowhere, run_provider(env={**topic.env(), **database, "AWS_ENDPOINT_URL": nowhere}) as down:
        started = time.monotonic()
        products = [PIZZA.model_copy(update={"id": f"p{i}"}) for i in range(5)]
        assert [_request("POST", down.base_url + "/products", p)[0] for p in products] == [201] * 5
        assert time.monotonic() - started < 3
        assert json.loads(_request("GET", down.base_url + "/outbox")[1])["unsent"] == 5
        failing = "product events are not being published: SNS could not take the product event"
        deadline = time.monotonic() + 15
        while failing not in down.output and time.monotonic() < deadline:  # the relay tried, and failed
            time.sleep(0.05)
        down.process.kill()
        down.process.wait(10)
    assert failing in down.output
    assert topic.received(1, timeout=1) == []
    with run_provider(env={**topic.env(), **database}) as back:
        messages = topic.received(5)
        assert json.loads(_request("GET", back.base_url + "/outbox")[1])["unsent"] == 0
    assert [_sent(m) for m in messages] == [(f"p{i}", "CREATED") for i in range(5)]


@pytest.mark.parametrize("topic", ["standard"], indirect=True)
def test_sns_that_never_answers_holds_up_no_write_and_no_read(topic: Topic) -> None:
    with silent_url() as hung, run_provider(env={**topic.env(), "AWS_ENDPOINT_URL": hung}) as provider:
        started = time.monotonic()
        with ThreadPoolExecutor(20) as pool:
            statuses = list(
                pool.map(
                    lambda i: _request(
                        "POST", provider.base_url + "/products", PIZZA.model_copy(update={"id": f"p{i}"})
                    )[0],
                    range(20),
                )
            )
        assert statuses == [201] * 20
        assert time.monotonic() - started < 5
        read_started = time.monotonic()
        for path in ("/products", "/products/p1", "/docs", "/openapi.json", "/outbox"):
            assert _request("GET", provider.base_url + path)[0] == 200
        assert time.monotonic() - read_started < 2
        assert json.loads(_request("GET", provider.base_url + "/outbox")[1])["unsent"] == 20


@pytest.mark.parametrize("topic", ["standard"], indirect=True)  # the client's timeouts, whatever the topic
def test_a_topic_that_never_answers_fails_within_the_attempts_and_timeouts(
    topic: Topic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not after minutes of retries: MAX_ATTEMPTS tries of READ_TIMEOUT each, and botocore's short backoff."""
    with silent_url() as hung:
        monkeypatch.setenv("AWS_ENDPOINT_URL", hung)
        publisher = SnsPublisher(topic.arn)
        assert publisher._client.meta.config.retries == {"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"}  # type: ignore[attr-defined]
        started = time.monotonic()
        with pytest.raises(PublishError, match=r"could not take the product event \(ReadTimeoutError\)"):
            publisher.publish(product_event(PIZZA, EventKind.CREATED))
        elapsed = time.monotonic() - started
    assert MAX_ATTEMPTS * READ_TIMEOUT <= elapsed < MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + 2


@pytest.mark.parametrize("topic", ["standard"], indirect=True)
def test_an_answer_that_is_not_sns_is_a_publish_error(topic: Topic) -> None:
    """SNS answering 200 with a body that is not XML: one line, not a crash."""
    with not_xml_url() as garbage:
        publisher = SnsPublisher(topic.arn)
        publisher._client = boto3.client("sns", region_name=REGION, endpoint_url=garbage)
        with pytest.raises(PublishError, match=r"could not take the product event \(ResponseParserError\)"):
            publisher.publish(product_event(PIZZA, EventKind.CREATED))


def test_the_region_is_the_topics(topic: Topic, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-2")
    SnsPublisher(topic.arn).publish(product_event(PIZZA, EventKind.CREATED))
    assert len(topic.received(1)) == 1


@pytest.mark.parametrize("topic", ["standard"], indirect=True)
def test_an_endpoint_that_is_not_a_url_stops_the_server_with_one_line(topic: Topic) -> None:
    with (
        pytest.raises(RuntimeError, match=r"example-provider: PRODUCT_EVENTS_TOPIC_ARN: no SNS client .*: not a url"),
        run_provider(env={**topic.env(), "AWS_ENDPOINT_URL_SNS": "not a url"}),
    ):
        pass


@pytest.mark.parametrize("topic", ["fifo"], indirect=True)
def test_two_servers_on_one_postgresql_publish_each_write_once_in_order_per_product(
    topic: Topic, postgres: Databases
) -> None:
    """10 products written 6 times each across both servers: one event per write, distinct ids, in write order."""
    env = {**topic.env(), "DATABASE_URL": postgres.new().render_as_string(hide_password=False)}
    with run_provider(env=env) as one, run_provider(env=env) as other:
        servers = (one.base_url, other.base_url)

        def write(index: int) -> None:
            product = PIZZA.model_copy(update={"id": f"p{index}"})
            assert _request("POST", servers[index % 2] + "/products", product)[0] == 201
            for version in range(2, 7):
                changed = product.model_copy(update={"version": f"v{version}"})
                assert _request("PUT", servers[(index + version) % 2] + "/products/" + product.id, changed)[0] == 200

        with ThreadPoolExecutor(10) as pool:
            list(pool.map(write, range(10)))
        messages = topic.received(60, timeout=20)
    assert len(messages) == 60
    assert len({_attributes(m)["eventId"] for m in messages}) == 60
    for index in range(10):
        mine = [json.loads(m["Body"]) for m in messages if m["Attributes"]["MessageGroupId"] == f"p{index}"]
        assert [body["version"] for body in mine] == [f"v{v}" for v in range(1, 7)]
        assert [body["event"] for body in mine] == ["CREATED"] + ["UPDATED"] * 5
