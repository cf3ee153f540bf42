"""A publisher for tests: it keeps what the relay gave it, and fails while told to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from example_provider.events import ProductEvent, PublishError


class RecordingPublisher:
    """Keeps the events it took; raises `PublishError(failing)` while `failing` is set."""

    def __init__(self) -> None:
        self.events: list[ProductEvent] = []
        self.failing = ""
        self.calls = 0
        self._lock = threading.Lock()

    def publish(self, event: ProductEvent) -> None:
        with self._lock:
            self.calls += 1
            if self.failing:
                raise PublishError(self.failing)
            self.events.append(event)

    def wait_for(self, count: int, timeout: float = 10) -> list[ProductEvent]:
        """The events taken once there are `count` of them (the relay publishes on its own thread)."""
        wait_until(lambda: len(self.events) >= count, timeout)
        return list(self.events)


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Return once `condition()` holds, or after `timeout` seconds: the caller asserts what it needs."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
