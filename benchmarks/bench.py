"""example-provider against the original example's provider, side by side, in one run.

1. Serving. Both servers run at once as subprocesses with one uvicorn worker each: ours as
   `python -m example_provider` with its default settings, the baseline
   (`benchmarks/baseline_app.py`) with uvicorn's default settings. `wrk` loads one server at a
   time, alternating, on `GET /product/10` and `GET /products`. With two or more CPUs the
   servers share the last one and wrk gets the others, so the load generator does not steal
   the server's CPU. Server output goes to `benchmarks/results/*.log`.
2. Verification cost. A generated pact of N interactions is verified in-process with
   pact-python, as `tests/contract` does: with provider states (setup and teardown through
   `POST /_pact/provider-states`) against ours, and the same interactions without states
   against the baseline, in back-to-back pairs; the cost of states is the median pair's ratio.

Targets: ours >= 2.5x the baseline's req/s on both routes with a p99 no worse, and states
adding <= 20 % per interaction. The exit status is 0 when every target is met, 1 when one is
missed, 2 when something could not be measured.

    python -m benchmarks.bench --duration 10 --connections 32 --interactions 200 --verify-rounds 9
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from example_provider.settings import environment_variables

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ROUTES = ("/product/10", "/products")
PROVIDER = "pactflow-example-provider-python"
SERVING_TARGET = 2.5
STATES_TARGET = 0.20
WRK_INSTALL = (
    "wrk is not installed. Install it with `sudo apt-get install -y wrk` (Debian/Ubuntu), "
    "`brew install wrk` (macOS), or build it from https://github.com/wg/wrk"
)
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


class BenchmarkError(RuntimeError):
    """Something could not be measured; the message says what and why."""


# --- wrk ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int = 0


def _latency_ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if not match:
        msg = f"cannot read the latency {value!r} in wrk's output"
        raise BenchmarkError(msg)
    return float(match[1]) * _UNITS_MS[match[2]]


def parse_wrk(output: str) -> WrkResult:
    """Read req/s, p50, p99 and the error counts from `wrk --latency` output."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    percentiles = dict(re.findall(r"^\s+(50|99)(?:\.0+)?%\s+(\S+)", output, re.MULTILINE))
    if not rate or set(percentiles) != {"50", "99"}:
        msg = f"unexpected wrk output (was --latency given?):\n{output}"
        raise BenchmarkError(msg)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    errors += int(non_2xx[1]) if non_2xx else 0
    return WrkResult(float(rate[1]), _latency_ms(percentiles["50"]), _latency_ms(percentiles["99"]), errors)


def run_wrk(url: str, *, duration: int, connections: int, threads: int) -> WrkResult:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=False)
    if completed.returncode != 0:
        msg = f"{' '.join(command)} failed ({completed.returncode}): {completed.stderr.strip()}"
        raise BenchmarkError(msg)
    return parse_wrk(completed.stdout)


# --- servers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerSpec:
    name: str
    description: str
    command: tuple[str, ...]


LOOPBACK_ANY_PORT = ("--host", "127.0.0.1", "--port", "0")
OURS = ServerSpec(
    "example-provider",
    "`python -m example_provider` (default settings)",
    (sys.executable, "-m", "example_provider", *LOOPBACK_ANY_PORT, "--log-level", "info"),
)
BASELINE = ServerSpec(
    "baseline",
    "`uvicorn benchmarks.baseline_app:app` (uvicorn defaults: access log on, loop/http auto)",
    (sys.executable, "-m", "uvicorn", "benchmarks.baseline_app:app", "--app-dir", str(ROOT), *LOOPBACK_ANY_PORT),
)


@contextlib.contextmanager
def running(spec: ServerSpec, cpu: int | None, timeout: float = 30.0) -> Iterator[str]:
    """Start the server on a free loopback port and yield its base URL once it answers."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / f"{spec.name}.log"
    with log_path.open("w", encoding="utf-8") as log, tempfile.TemporaryDirectory() as workdir:
        # No .env in the working directory and none of our variables: the servers run with their defaults.
        env = {name: value for name, value in os.environ.items() if name not in environment_variables()}
        process = subprocess.Popen(spec.command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            if cpu is not None:
                os.sched_setaffinity(process.pid, {cpu})
            yield _wait_for_url(process, log_path, timeout)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_for_url(process: subprocess.Popen[bytes], log_path: Path, timeout: float) -> str:
    command = " ".join(str(arg) for arg in process.args) if isinstance(process.args, list) else str(process.args)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"{command} exited with {process.returncode}; see {log_path}"
            raise BenchmarkError(msg)
        found = _LISTENING.search(log_path.read_text(encoding="utf-8", errors="replace"))
        if found:
            return f"http://127.0.0.1:{found[1]}"
        time.sleep(0.05)
    msg = f"{command} did not start within {timeout:.0f}s; see {log_path}"
    raise BenchmarkError(msg)


# --- serving benchmark ----------------------------------------------------------------------


@dataclass(frozen=True)
class ServingRow:
    route: str
    ours: WrkResult
    baseline: WrkResult

    @property
    def ratio(self) -> float:
        return self.ours.requests_per_second / self.baseline.requests_per_second

    @property
    def met(self) -> bool:
        return self.ratio >= SERVING_TARGET and self.ours.p99_ms <= self.baseline.p99_ms


def _median_result(results: Sequence[WrkResult]) -> WrkResult:
    """The run with the median req/s, so the latencies shown belong to one real run."""
    ranked = sorted(results, key=lambda r: r.requests_per_second)
    chosen = ranked[(len(ranked) - 1) // 2]
    return WrkResult(chosen.requests_per_second, chosen.p50_ms, chosen.p99_ms, sum(r.errors for r in results))


def bench_serving(args: argparse.Namespace, server_cpu: int | None) -> list[ServingRow]:
    runs: dict[tuple[str, str], list[WrkResult]] = {}
    with running(OURS, server_cpu) as ours_url, running(BASELINE, server_cpu) as baseline_url:
        urls = {OURS.name: ours_url, BASELINE.name: baseline_url}
        for route in ROUTES:  # warm up: first requests pay for imports and caches
            for url in urls.values():
                run_wrk(url + route, duration=min(2, args.duration), connections=args.connections, threads=args.threads)
        for round_number in range(1, args.rounds + 1):
            for route in ROUTES:
                for name, url in urls.items():
                    print(f"  round {round_number}/{args.rounds}: {name} GET {route} ...", file=sys.stderr)
                    result = run_wrk(
                        url + route, duration=args.duration, connections=args.connections, threads=args.threads
                    )
                    if result.errors:
                        msg = f"{name} answered GET {route} with {result.errors} errors under load; see {RESULTS}"
                        raise BenchmarkError(msg)
                    runs.setdefault((name, route), []).append(result)
    return [
        ServingRow(route, _median_result(runs[OURS.name, route]), _median_result(runs[BASELINE.name, route]))
        for route in ROUTES
    ]


def format_serving(rows: Sequence[ServingRow]) -> str:
    lines = [
        "| Route | Server | req/s | p50 | p99 | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        for name, result in ((OURS.name, row.ours), (BASELINE.name, row.baseline)):
            lines.append(
                f"| GET {row.route} | {name} | {result.requests_per_second:,.0f} | "
                f"{result.p50_ms:.2f} ms | {result.p99_ms:.2f} ms | {result.errors} |"
            )
        p99 = "no worse" if row.ours.p99_ms <= row.baseline.p99_ms else "WORSE"
        verdict = "met" if row.met else "MISSED"
        lines.append(f"| GET {row.route} | **ours/baseline** | **{row.ratio:.2f}x** | | p99 {p99} | target {verdict} |")
    return "\n".join(lines)


# --- verification cost ----------------------------------------------------------------------


def generate_pact(interactions: int, *, with_states: bool) -> dict[str, Any]:
    """A V3 pact cycling through the consumers' three kinds of interaction.

    Without states the same requests must pass against the seeded catalogue, so the missing
    product is one the seed lacks ("12"), named through the state's `id` parameter.
    """
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
        }
        if with_states:
            interaction["providerStates"] = [state]
        generated.append(interaction)
    return {
        "consumer": {"name": "bench-consumer"},
        "provider": {"name": PROVIDER},
        "interactions": generated,
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


def time_verification(app: Any, pact: dict[str, Any], *, with_states: bool) -> float:  # noqa: ANN401 - any ASGI app
    """Seconds the verifier takes for `pact` against `app` served on a loopback port."""
    from pact import Verifier  # noqa: PLC0415 - a dev dependency, only needed here

    from example_provider.app import PROVIDER_STATES_PATH  # noqa: PLC0415
    from tests.servers import serve_in_thread  # noqa: PLC0415 - the same server the contract tests use

    with tempfile.TemporaryDirectory() as pact_dir, serve_in_thread(app, ready_path="/products") as base_url:
        (Path(pact_dir) / "bench-consumer-provider.json").write_text(json.dumps(pact), encoding="utf-8")
        verifier = (
            Verifier(PROVIDER, host="127.0.0.1")
            .add_transport(url=base_url)
            .add_source(pact_dir)
            .set_coloured_output(enabled=False)
        )
        if with_states:
            verifier.state_handler(base_url + PROVIDER_STATES_PATH, teardown=True, body=True)
        started = time.perf_counter()
        try:
            with _stdout_to_devnull():
                verifier.verify()
        except RuntimeError:
            msg = f"verification failed, so its time means nothing:\n{verifier.output(strip_ansi=True)}"
            raise BenchmarkError(msg) from None
        return time.perf_counter() - started


@dataclass(frozen=True)
class VerificationCost:
    """Seconds per round for each side; round `i` of both ran back to back."""

    interactions: int
    with_states_s: tuple[float, ...]
    without_states_s: tuple[float, ...]

    @property
    def added(self) -> float:
        """The median of the per-round ratios, less one.

        The spread between rounds here is larger than the effect measured (the machine drifts
        over seconds), so each round's two runs are compared with each other, back to back, and
        the median round is taken: drift cancels within a pair, and one disturbed pair moves
        the median little.
        """
        return (
            statistics.median(ours / base for ours, base in zip(self.with_states_s, self.without_states_s, strict=True))
            - 1
        )

    @property
    def met(self) -> bool:
        return self.added <= STATES_TARGET


def bench_verification(interactions: int, rounds: int) -> VerificationCost:
    """`rounds` back-to-back pairs in ABBA order, after one discarded warm-up pair."""
    from benchmarks import baseline_app  # noqa: PLC0415
    from example_provider.app import create_app  # noqa: PLC0415
    from example_provider.products import ProductRepository  # noqa: PLC0415

    def ours() -> float:
        app = create_app(ProductRepository(), provider_states=True)
        return time_verification(app, generate_pact(interactions, with_states=True), with_states=True)

    def baseline() -> float:
        return time_verification(baseline_app.app, generate_pact(interactions, with_states=False), with_states=False)

    ours(), baseline()  # warm-up: the first verification in a process pays for loading the FFI
    with_states, without_states = [], []
    for number in range(rounds):
        if number % 2 == 0:
            with_states.append(ours())
            without_states.append(baseline())
        else:
            without_states.append(baseline())
            with_states.append(ours())
    return VerificationCost(interactions, tuple(with_states), tuple(without_states))


def format_verification(cost: VerificationCost) -> str:
    def row(what: str, times: tuple[float, ...]) -> str:
        median = statistics.median(times)
        spread = f"{1000 * min(times) / cost.interactions:.2f}-{1000 * max(times) / cost.interactions:.2f} ms"
        return (
            f"| {what} | {cost.interactions} | {median:.2f} s | {1000 * median / cost.interactions:.2f} ms | {spread} |"
        )

    verdict = "met" if cost.met else "MISSED"
    added = f"**{100 * cost.added:+.1f} %** (target <= {100 * STATES_TARGET:.0f} %: {verdict})"
    return "\n".join(
        [
            "| Verification | Interactions | Median total | Median per interaction | Range per interaction |",
            "| --- | ---: | ---: | ---: | ---: |",
            row(f"{OURS.name}, provider states (setup + teardown)", cost.with_states_s),
            row(f"{BASELINE.name}, no provider states", cost.without_states_s),
            f"| **states add** (median of the rounds' ratios) | | | {added} | |",
        ]
    )


# --- main -----------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Python {sys.version.split()[0]}"


def _cpus() -> tuple[int | None, set[int] | None]:
    """The CPU for the servers and the CPUs for wrk, when there are at least two to split."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[-1], set(available[:-1])


@contextlib.contextmanager
def _affinity(cpus: set[int] | None) -> Iterator[None]:
    if not cpus:
        yield
        return
    original = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, original)


def _positive(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        msg = f"must be a whole number of at least 1, got {text!r}"
        raise argparse.ArgumentTypeError(msg)
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=_positive, default=10, help="seconds of load per server and route (10)")
    parser.add_argument("--connections", type=_positive, default=32, help="concurrent wrk connections (32)")
    parser.add_argument("--threads", type=_positive, default=1, help="wrk threads (1)")
    parser.add_argument("--rounds", type=_positive, default=1, help="alternating wrk rounds; the median is shown (1)")
    parser.add_argument("--interactions", type=_positive, default=200, help="interactions in the generated pact (200)")
    parser.add_argument("--verify-rounds", type=_positive, default=9, help="back-to-back verification pairs (9)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if shutil.which("wrk") is None:
        print(f"bench: {WRK_INSTALL}", file=sys.stderr)
        return 2
    os.environ["PACT_DO_NOT_TRACK"] = "true"
    server_cpu, load_cpus = _cpus()
    print(f"# Benchmark: {machine()}\n")
    pinning = f"servers on CPU {server_cpu}, wrk on CPUs {sorted(load_cpus or [])}" if load_cpus else "no CPU pinning"
    print(
        f"Serving: one uvicorn worker each; wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"{args.rounds} alternating round(s); {pinning}.\n"
        f"- {OURS.name}: {OURS.description}\n- {BASELINE.name}: {BASELINE.description}\n"
    )
    try:
        with _affinity(load_cpus):  # wrk inherits it
            rows = bench_serving(args, server_cpu)
        print(format_serving(rows) + "\n")
        print(
            f"Verification cost: pact-python Verifier in-process, {args.verify_rounds} back-to-back pairs "
            "(ABBA order) after a warm-up.\n"
        )
        cost = bench_verification(args.interactions, args.verify_rounds)
        print(format_verification(cost))
    except BenchmarkError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    missed = [f"GET {row.route}" for row in rows if not row.met] + ([] if cost.met else ["verification cost"])
    if missed:
        print(f"\nTargets missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    print("\nAll targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
