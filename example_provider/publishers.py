"""Where product events go: the server log (the default), or an Amazon SNS topic.

boto3 is imported only when an `SnsPublisher` is made, so a server without a topic never loads
it. The client is configured the standard boto3 way (region, credentials, and
`AWS_ENDPOINT_URL_SNS` / `AWS_ENDPOINT_URL` for an emulator, all read by boto3 itself) in the
topic's region (its ARN's), with short timeouts and few attempts, so the relay learns of an
unreachable topic in seconds and retries later. A FIFO topic (`.fifo`) gets each product's events
in one message group, deduplicated by event id.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from example_provider.events import ProductEvent, PublishError

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT, READ_TIMEOUT, MAX_ATTEMPTS = 2, 3, 2  # seconds, seconds, tries in all


class LogPublisher:
    """Each event as one JSON line in the server log: the embedded default, for development."""

    def publish(self, event: ProductEvent) -> None:
        logger.info(json.dumps({"metadata": event.metadata, "contents": event.contents}, ensure_ascii=False))


class SnsPublisher:
    """Each event as one SNS message: the JSON body, and its metadata as message attributes."""

    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self.topic_arn = topic_arn
        self.fifo = topic_arn.endswith(".fifo")
        if client is None:
            import boto3  # noqa: PLC0415 - only a server with a topic loads boto3
            from botocore.config import Config  # noqa: PLC0415
            from botocore.exceptions import BotoCoreError  # noqa: PLC0415

            config = Config(
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
                retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
            )
            region = topic_arn.split(":")[3]  # the topic's own: botocore reads AWS_DEFAULT_REGION, not AWS_REGION
            try:
                client = boto3.client("sns", region_name=region, config=config)
            except (BotoCoreError, ValueError) as error:  # such as an AWS_ENDPOINT_URL that is not a URL
                msg = f"no SNS client for the topic: {error}"
                raise PublishError(msg) from None
        self._client = client

    def publish(self, event: ProductEvent) -> None:
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - loaded with boto3 already
        from botocore.parsers import ResponseParserError  # noqa: PLC0415

        attributes: dict[str, MessageAttributeValueTypeDef] = {
            name: {"DataType": "String", "StringValue": value} for name, value in event.metadata.items()
        }
        fifo = {"MessageGroupId": event.product_id, "MessageDeduplicationId": event.event_id} if self.fifo else {}
        try:
            self._client.publish(
                TopicArn=self.topic_arn, Message=event.body.decode(), MessageAttributes=attributes, **fifo
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "an error")
            msg = f"SNS refused the product event ({code})"
            raise PublishError(msg) from None
        except (BotoCoreError, ResponseParserError) as error:  # unreachable, timed out, or not SNS answering
            msg = f"SNS could not take the product event ({type(error).__name__})"
            raise PublishError(msg) from None
