"""example-provider against its baselines, side by side, in one run; the numbers go to benchmarks/README.md.

1. Serving: ours as shipped (`python -m example_provider`: access log off; `--access-log` turns it on,
   so only the apps differ) and the original example's app as it runs (`benchmarks/baseline_app.py`,
   uvicorn's defaults: access log on), one uvicorn worker each;
   `wrk` loads one at a time, alternating, on `GET /product/10` and `GET /products`. With two or
   more CPUs the servers share the last one and wrk gets the others.
2. Verification per interaction, with provider states: example-provider's verifier
   (`example_provider/pipeline/verifier.py`) against a stock pact-python `Verifier` configured as its docs
   show, on the same generated pact and the same server, back to back. The cost per
   interaction is the slope between a small and a large pact, so start-up cost cancels out.
3. Message verification per interaction beside HTTP: the same verifier, the same server and
   states, on a generated message pact and a generated HTTP pact of the same sizes, back to back.
4. Fast feedback: `invoke verify` on the bundled pacts (median of 3) beside the same
   verification run as a pytest test; and one `invoke test`.

Targets: serving >= 0.9x the baseline's req/s on both routes with a p99 no worse; the verifier
>= 2x faster per interaction than stock; `invoke verify` <= 2.0 s; `invoke test` <= 60 s. The exit
status is 0 when every target is met, 1 when one is missed, 2 when something could not be measured.

    python -m benchmarks.bench --duration 10 --connections 32 --verify-rounds 9
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pact import Verifier

from example_provider.app import create_app
from example_provider.pipeline.docs import environment_variables
from example_provider.pipeline.plan import VerificationPlan
from example_provider.pipeline.server import serve_in_thread
from example_provider.pipeline.verifier import build_verifier
from example_provider.verifier_endpoints import PROVIDER_STATES_PATH

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ROUTES = ("/product/10", "/products")
VERIFICATION_TEST = "tests/contract/test_provider_contract.py::test_provider_honours_pacts"
PROVIDER = "bench-provider"  # the provider the generated pacts name: a name of the benchmark's own
SERVING_TARGET = 0.9
VERIFIER_TARGET = 2.0
VERIFY_WALL_TARGET_S = 2.0
SUITE_WALL_TARGET_S = 60.0
SMALL_PACT, LARGE_PACT = 20, 200
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
    "`python -m example_provider`, as shipped (access log off)",
    (sys.executable, "-m", "example_provider", *LOOPBACK_ANY_PORT, "--log-level", "info"),
)
OURS_LOGGING = ServerSpec(
    "example-provider",
    "`python -m example_provider --access-log` (access log on, as the baseline has it: only the apps differ)",
    (*OURS.command, "--access-log"),
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
    ours = OURS_LOGGING if args.access_log else OURS
    with running(ours, server_cpu) as ours_url, running(BASELINE, server_cpu) as baseline_url:
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
SIDES: dict[str, VerifierFactory] = {"stock pact-python": stock_verifier, "example-provider": our_verifier}


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


def bench_verifier(rounds: int) -> VerifierCost:
    """`rounds` slopes per side in ABBA order, after one discarded warm-up of each."""

    def slope_ms(make: VerifierFactory) -> float:
        small, large = time_verification(make, SMALL_PACT), time_verification(make, LARGE_PACT)
        return 1000 * (large - small) / (LARGE_PACT - SMALL_PACT)

    for make in SIDES.values():
        time_verification(make, SMALL_PACT)  # the first verification in a process pays for loading the FFI
    slopes: dict[VerifierFactory, list[float]] = {make: [] for make in SIDES.values()}
    for number in range(rounds):
        for make in SIDES.values() if number % 2 == 0 else reversed(SIDES.values()):
            slopes[make].append(slope_ms(make))
    return VerifierCost(tuple(slopes[stock_verifier]), tuple(slopes[our_verifier]))


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
    """Slopes of our verifier on HTTP and message pacts, `rounds` pairs in ABBA order, after a warm-up."""

    def slope_ms(*, messages: bool) -> float:
        small = time_verification(our_verifier, SMALL_PACT, messages=messages)
        large = time_verification(our_verifier, LARGE_PACT, messages=messages)
        return 1000 * (large - small) / (LARGE_PACT - SMALL_PACT)

    time_verification(our_verifier, SMALL_PACT, messages=True)
    slopes: dict[bool, list[float]] = {False: [], True: []}
    for number in range(rounds):
        for messages in (False, True) if number % 2 == 0 else (True, False):
            slopes[messages].append(slope_ms(messages=messages))
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


# --- fast feedback --------------------------------------------------------------------------


@dataclass(frozen=True)
class WallTime:
    what: str
    seconds: tuple[float, ...]
    target_s: float | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def met(self) -> bool:
        return self.target_s is None or self.median <= self.target_s


def wall_time(what: str, command: Sequence[str], runs: int, target_s: float | None = None) -> WallTime:
    """Seconds `command` takes from start to exit, `runs` times, with none of our settings set."""
    env = {name: value for name, value in os.environ.items() if name not in environment_variables()}
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        seconds.append(time.perf_counter() - started)
        if done.returncode != 0:
            msg = f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            raise BenchmarkError(msg)
    return WallTime(what, tuple(seconds), target_s)


def bench_feedback(*, suite: bool) -> list[WallTime]:
    invoke = (sys.executable, "-m", "invoke")
    through_pytest = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", VERIFICATION_TEST)
    times = [
        wall_time("`invoke verify` (bundled pacts)", (*invoke, "verify"), 3, VERIFY_WALL_TARGET_S),
        wall_time("the same verification as a pytest test", through_pytest, 3),
    ]
    if suite:
        times.append(wall_time("`invoke test`", (*invoke, "test"), 1, SUITE_WALL_TARGET_S))
    return times


def format_feedback(times: Sequence[WallTime]) -> str:
    lines = ["| Command | Wall time (median) | Runs | Target |", "| --- | ---: | ---: | --- |"]
    for time_ in times:
        target = f"<= {time_.target_s:.0f} s: {'met' if time_.met else 'MISSED'}" if time_.target_s else "baseline"
        runs = ", ".join(f"{s:.2f}" for s in time_.seconds)
        lines.append(f"| {time_.what} | {time_.median:.2f} s | {runs} | {target} |")
    return "\n".join(lines)


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
    parser.add_argument("--verify-rounds", type=_positive, default=9, help="back-to-back verifier slopes (9)")
    parser.add_argument("--no-suite", dest="suite", action="store_false", help="skip timing `invoke test`")
    parser.add_argument(
        "--access-log", action="store_true", help="serve ours with the access log on, like the baseline"
    )
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
        f"- {OURS.name}: {(OURS_LOGGING if args.access_log else OURS).description}\n"
        f"- {BASELINE.name}: {BASELINE.description}\n"
    )
    try:
        with _affinity(load_cpus):  # wrk inherits it
            rows = bench_serving(args, server_cpu)
        print(format_serving(rows) + "\n", flush=True)
        print(
            f"Verifier: pacts of {SMALL_PACT} and {LARGE_PACT} interactions with states, "
            f"{args.verify_rounds} back-to-back rounds (ABBA order) after a warm-up.\n"
        )
        cost = bench_verifier(args.verify_rounds)
        print(format_verifier(cost) + "\n", flush=True)
        print("Messages: our verifier on message and HTTP pacts of the same sizes, the same rounds.\n")
        print(format_messages(bench_messages(args.verify_rounds)) + "\n", flush=True)
        print("Fast feedback: wall time from start to exit, none of our settings set.\n")
        times = bench_feedback(suite=args.suite)
        print(format_feedback(times))
    except BenchmarkError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    missed = [f"GET {row.route}" for row in rows if not row.met] + ([] if cost.met else ["verifier speed-up"])
    missed += [time_.what for time_ in times if not time_.met]
    if missed:
        print(f"\nTargets missed: {', '.join(missed)}", file=sys.stderr)
        return 1
    print("\nAll targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
