"""An in-memory Pact Broker for end-to-end tests of the pipeline, driven only by the real pact tools.

See `tests.broker_double.app` for what it models and where it follows the broker's source.
"""

from tests.scenarios.broker_double.app import BrokerDouble, RecordedRequest, running_broker

__all__ = ["BrokerDouble", "RecordedRequest", "running_broker"]
