"""Verification per interaction, with provider states: our verifier against stock pact-python, and messages.

Both verifiers check the same app (`create_app` on a fresh SQLite file, served by uvicorn in the
verifier's process) through its state-change URL. A side's cost per interaction is the slope between
a pact of SMALL_PACT and one of LARGE_PACT interactions, so start-up cost cancels out. Each slope is
measured in a process of its own (`python -m benchmarks.verification stock|ours [--messages]`):
pact-python fixes how it forwards the verifier's log events when a process makes its first verifier,
and stock pact-python is measured as it comes, not as ours sets it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pact import Verifier
from pact.logging import forwarding_level

from benchmarks.common import BenchmarkError, run
from example_provider.app import create_app
from example_provider.pipeline.plan import VerificationPlan
from example_provider.pipeline.server import serve_in_thread
from example_provider.pipeline.verifier import build_verifier
from example_provider.verifier_endpoints import PROVIDER_STATES_PATH

PROVIDER = "bench-provider"  # the provider the generated pacts name: a name of the benchmark's own
VERIFIER_TARGET = 2.0
SMALL_PACT, LARGE_PACT = 20, 200


def generate_pact(interactions: int) -> dict[str, Any]:
    """A V3 pact cycling through the consumers' three kinds of interaction, each with its state."""
    json_type = {"Content-Type": {"matchers": [{"match": "regex", "regex": "application/json.*"}]}}
    product = {"id": "10", "type": "CREDIT_CARD", "name": "28 Degrees"}
    kinds: list[tuple[dict[str, Any], str, dict[str, Any]]] = [
        (
            {"name": "a product with ID 10 exists", "params": {"id": "10"}},
            "/product/10",
            {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": product,
                "matchingRules": {"header": json_type, "body": {"$": {"matchers": [{"match": "type"}]}}},
            },
        ),
        (
            {"name": "products exist"},
            "/products",
            {
                "status": 200,
                "headers": {"Content-Type": "application/json"},
                "body": [product],
                "matchingRules": {"header": json_type, "body": {"$": {"matchers": [{"match": "type", "min": 1}]}}},
            },
        ),
        ({"name": "a product with ID 11 does not exist", "params": {"id": "12"}}, "/product/12", {"status": 404}),
    ]
    generated = []
    for number in range(interactions):
        state, path, response = kinds[number % len(kinds)]
        interaction: dict[str, Any] = {
            "description": f"request {number} for {path}",
            "request": {"method": "GET", "path": path, "headers": {"Authorization": "Bearer 2026-11-26T04:00:00Z"}},
            "response": response,
            "providerStates": [state],
        }
        generated.append(interaction)
    return {
        "consumer": {"name": "bench-consumer"},
        "provider": {"name": PROVIDER},
        "interactions": generated,
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }


def generate_message_pact(interactions: int) -> dict[str, Any]:
    """A V3 message pact cycling through the event consumers' messages, each about a product its state adds."""
    body_rules = {f"$.{name}": {"matchers": [{"match": "type"}]} for name in ("id", "type", "name", "version")}
    body_rules["$.event"] = {"matchers": [{"match": "regex", "regex": "^(CREATED|UPDATED|DELETED)$"}]}
    kinds = [("a product event update", "UPDATED"), ("a product created event", "CREATED")]
    messages = []
    for number in range(interactions):
        description, event = kinds[number % len(kinds)]
        messages.append(
            {
                "description": description,  # the registry's words; the state's id tells the messages apart
                "providerStates": [{"name": "a product with ID 10 exists", "params": {"id": str(100 + number)}}],
                "contents": {"id": "10", "type": "CREDIT_CARD", "name": "28 Degrees", "version": "v1", "event": event},
                "matchingRules": {"body": body_rules},
                "metaData": {"Content-Type": "application/json", "topic": "products"},
            }
        )
    return {
        "consumer": {"name": "bench-events-consumer"},
        "provider": {"name": PROVIDER},
        "messages": messages,
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }


@contextlib.contextmanager
def _stdout_to_devnull() -> Iterator[None]:
    """The verifier's native code prints its report straight to file descriptor 1."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with Path(os.devnull).open("wb") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def stock_verifier(base_url: str, pact_file: Path) -> Verifier:
    """A `Verifier` configured as pact-python's documentation shows."""
    return (
        Verifier(PROVIDER, host="127.0.0.1")
        .add_transport(url=base_url)
        .state_handler(base_url + PROVIDER_STATES_PATH, teardown=True, body=True)
        .add_source(pact_file)
    )


def our_verifier(base_url: str, pact_file: Path) -> Verifier:
    """The verifier `invoke verify` runs (`pipeline/verifier.py`), but with no token: both sides verify one open app."""
    plan = VerificationPlan(PROVIDER, "directory", str(pact_file.parent), pact_files=(pact_file,))
    return build_verifier(plan, base_url, api_token=None)


VerifierFactory = Callable[[str, Path], Verifier]
SIDES: dict[str, VerifierFactory] = {"stock": stock_verifier, "ours": our_verifier}


def time_verification(make: VerifierFactory, interactions: int, *, messages: bool = False) -> float:
    """Seconds `make`'s verifier takes for a pact of `interactions`, HTTP or messages, with states, on our app."""
    pact = generate_message_pact(interactions) if messages else generate_pact(interactions)
    with (
        tempfile.TemporaryDirectory() as pact_dir,
        tempfile.TemporaryDirectory() as database_dir,
        serve_in_thread(create_app(f"sqlite:///{database_dir}/bench.db", provider_states=True)) as base_url,
    ):
        pact_file = Path(pact_dir) / "bench-consumer.json"
        pact_file.write_text(json.dumps(pact), encoding="utf-8")
        verifier = make(base_url, pact_file)
        started = time.perf_counter()
        try:
            with _stdout_to_devnull():
                verifier.verify()
        except RuntimeError:
            msg = f"verification failed, so its time means nothing:\n{verifier.output(strip_ansi=True)}"
            raise BenchmarkError(msg) from None
        return time.perf_counter() - started


@dataclass(frozen=True)
class VerifierCost:
    """Seconds per interaction of each side, one slope per round; round `i` of both ran back to back."""

    stock_ms: tuple[float, ...]
    ours_ms: tuple[float, ...]

    @property
    def speed_up(self) -> float:
        """The median of the rounds' ratios: the machine drifts over seconds, a pair run back to back does not."""
        return statistics.median(stock / ours for stock, ours in zip(self.stock_ms, self.ours_ms, strict=True))

    @property
    def met(self) -> bool:
        return self.speed_up >= VERIFIER_TARGET


def measure_slope(side: str, *, messages: bool = False, sizes: tuple[int, int] = (SMALL_PACT, LARGE_PACT)) -> float:
    """Milliseconds per interaction of `side`'s verifier (`stock` or `ours`), in this process, after a warm-up."""
    make, (small, large) = SIDES[side], sizes
    time_verification(make, small, messages=messages)  # the first verification in a process loads the FFI
    small_s = time_verification(make, small, messages=messages)
    large_s = time_verification(make, large, messages=messages)
    return 1000 * (large_s - small_s) / (large - small)


def slope_in_a_process(side: str, *, messages: bool = False) -> float:
    """`measure_slope` in a fresh process: `python -m benchmarks.verification <side> [--messages]`."""
    command = [sys.executable, "-m", "benchmarks.verification", side, *(["--messages"] if messages else [])]
    done = run(f"measuring the {side} verifier", command, timeout=600)
    return float(json.loads(done.stdout.splitlines()[-1])["slope_ms"])


def bench_verifier(rounds: int) -> VerifierCost:
    """`rounds` slopes per side in ABBA order, each in a process of its own."""
    slopes: dict[str, list[float]] = {"stock": [], "ours": []}
    for number in range(rounds):
        for side in ("stock", "ours") if number % 2 == 0 else ("ours", "stock"):
            slopes[side].append(slope_in_a_process(side))
    return VerifierCost(tuple(slopes["stock"]), tuple(slopes["ours"]))


def format_verifier(cost: VerifierCost) -> str:
    def row(name: str, slopes: tuple[float, ...]) -> str:
        return f"| {name} | {statistics.median(slopes):.2f} ms | {min(slopes):.2f}-{max(slopes):.2f} ms |"

    verdict = f"target >= {VERIFIER_TARGET:.0f}x: {'met' if cost.met else 'MISSED'}"
    return "\n".join(
        [
            "| Verifier, with provider states | Per interaction (median) | Range |",
            "| --- | ---: | ---: |",
            row("stock pact-python", cost.stock_ms),
            row("example-provider", cost.ours_ms),
            f"| **speed-up** (median of the rounds' ratios) | **{cost.speed_up:.2f}x** | {verdict} |",
        ]
    )


@dataclass(frozen=True)
class MessageCost:
    """Our verifier's milliseconds per interaction, HTTP and messages; round `i` of both ran back to back."""

    http_ms: tuple[float, ...]
    message_ms: tuple[float, ...]

    @property
    def ratio(self) -> float:
        return statistics.median(m / h for h, m in zip(self.http_ms, self.message_ms, strict=True))


def bench_messages(rounds: int) -> MessageCost:
    """Slopes of our verifier on HTTP and message pacts, `rounds` pairs in ABBA order, each in a process of its own."""
    slopes: dict[bool, list[float]] = {False: [], True: []}
    for number in range(rounds):
        for messages in (False, True) if number % 2 == 0 else (True, False):
            slopes[messages].append(slope_in_a_process("ours", messages=messages))
    return MessageCost(tuple(slopes[False]), tuple(slopes[True]))


def format_messages(cost: MessageCost) -> str:
    def row(name: str, slopes: tuple[float, ...]) -> str:
        return f"| {name} | {statistics.median(slopes):.2f} ms | {min(slopes):.2f}-{max(slopes):.2f} ms |"

    return "\n".join(
        [
            "| example-provider's verifier, with provider states | Per interaction (median) | Range |",
            "| --- | ---: | ---: |",
            row("HTTP interactions", cost.http_ms),
            row("message interactions", cost.message_ms),
            f"| **messages / HTTP** (median of the rounds' ratios) | **{cost.ratio:.2f}x** | no target |",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Print one side's slope, and the level pact-python forwards the verifier's log events at, as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.verification", description=main.__doc__)
    parser.add_argument("side", choices=sorted(SIDES))
    parser.add_argument("--messages", action="store_true", help="verify a message pact, not an HTTP one")
    parser.add_argument("--sizes", type=int, nargs=2, default=(SMALL_PACT, LARGE_PACT), help="the two pacts' sizes")
    args = parser.parse_args(argv)
    slope = measure_slope(args.side, messages=args.messages, sizes=tuple(args.sizes))
    print(json.dumps({"slope_ms": slope, "forwarding": logging.getLevelName(forwarding_level())}))


if __name__ == "__main__":
    os.environ["PACT_DO_NOT_TRACK"] = "true"
    main()
