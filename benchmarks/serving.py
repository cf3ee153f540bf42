"""Serving: ours against the FastAPI-tutorial shape over SQLite, loaded with wrk one server at a time.

Each server is a real process, one uvicorn worker, started in an empty working folder with none of
the project's settings: ours (`python -m example_provider`, its default SQLite file), the tutorial
shape (`benchmarks/tutorial_app.py`, the target's baseline) and the list app
(`benchmarks/baseline_app.py`, the original example: a reference, no target). With
BENCH_DATABASE_URL set, ours and the tutorial shape are also measured on that PostgreSQL (report only).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL

from benchmarks.common import RESULTS, ROOT, BenchmarkError, clean_env
from example_provider.db import database_url, shown

ROUTES = ("/product/10", "/products")
SERVING_TARGET = 1.5  # ours / the tutorial shape, req/s, on each route
DATABASE_VARIABLE = "BENCH_DATABASE_URL"
WRK_INSTALL = (
    "wrk is not installed. Install it with `sudo apt-get install -y wrk` (Debian/Ubuntu), "
    "`brew install wrk` (macOS), or build it from https://github.com/wg/wrk"
)
_LISTENING = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


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
    key: str  # its log file's name
    name: str  # its name in the report
    description: str
    command: tuple[str, ...]


LOOPBACK_ANY_PORT = ("--host", "127.0.0.1", "--port", "0")
OURS = ServerSpec(
    "ours",
    "example-provider",
    "`python -m example_provider`, as shipped (access log off)",
    (sys.executable, "-m", "example_provider", *LOOPBACK_ANY_PORT, "--log-level", "info"),
)
OURS_LOGGING = ServerSpec(
    "ours",
    "example-provider",
    "`python -m example_provider --access-log` (access log on, as the baselines have it: only the apps differ)",
    (*OURS.command, "--access-log"),
)
TUTORIAL = ServerSpec(
    "tutorial",
    "tutorial shape",
    "`uvicorn benchmarks.tutorial_app:app`, FastAPI's SQL tutorial over SQLite: sync routes, a SQLAlchemy "
    "`Session` per request, ORM reads, response models (uvicorn defaults: access log on)",
    (sys.executable, "-m", "uvicorn", "benchmarks.tutorial_app:app", "--app-dir", str(ROOT), *LOOPBACK_ANY_PORT),
)
LIST_APP = ServerSpec(
    "list",
    "list app",
    "`uvicorn benchmarks.baseline_app:app`, the original example over a list, for reference "
    "(uvicorn defaults: access log on)",
    (sys.executable, "-m", "uvicorn", "benchmarks.baseline_app:app", "--app-dir", str(ROOT), *LOOPBACK_ANY_PORT),
)


@contextlib.contextmanager
def running(spec: ServerSpec, cpu: int | None, log_name: str, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Start the server on a free loopback port in an empty folder and yield its base URL once it answers."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    log_path = RESULTS / f"{log_name}.log"
    with log_path.open("w", encoding="utf-8") as log, tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            spec.command, cwd=workdir, env=clean_env(dict(env or {})), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            if cpu is not None:
                os.sched_setaffinity(process.pid, {cpu})
            yield _wait_for_url(process, log_path, timeout=30.0)
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


# --- the comparison -------------------------------------------------------------------------


@dataclass(frozen=True)
class ServingRow:
    route: str
    ours: WrkResult
    tutorial: WrkResult
    list_app: WrkResult | None = None  # the original example over a list: a reference
    target: float | None = SERVING_TARGET  # None: reported, not judged (PostgreSQL)

    @property
    def ratio(self) -> float:
        return self.ours.requests_per_second / self.tutorial.requests_per_second

    @property
    def met(self) -> bool:
        return self.target is None or (self.ratio >= self.target and self.ours.p99_ms <= self.tutorial.p99_ms)


@dataclass(frozen=True)
class ServingOptions:
    duration: int
    connections: int
    threads: int
    rounds: int
    access_log: bool


def _median_result(results: Sequence[WrkResult]) -> WrkResult:
    """The run with the median req/s, so the latencies shown belong to one real run."""
    ranked = sorted(results, key=lambda r: r.requests_per_second)
    chosen = ranked[(len(ranked) - 1) // 2]
    return WrkResult(chosen.requests_per_second, chosen.p50_ms, chosen.p99_ms, sum(r.errors for r in results))


def _load(
    servers: Sequence[tuple[ServerSpec, dict[str, str]]], options: ServingOptions, cpu: int | None, database: str
) -> dict[tuple[str, str], WrkResult]:
    """The servers running at once, loaded one at a time, alternating, `options.rounds` times on each route."""
    runs: dict[tuple[str, str], list[WrkResult]] = {}
    with contextlib.ExitStack() as stack:
        logs = {spec.key: f"{spec.key}-{database}" for spec, _ in servers}
        urls = {spec.key: stack.enter_context(running(spec, cpu, logs[spec.key], env)) for spec, env in servers}
        for route in ROUTES:  # warm up: first requests pay for imports, caches and connections
            for url in urls.values():
                run_wrk(
                    url + route,
                    duration=min(2, options.duration),
                    connections=options.connections,
                    threads=options.threads,
                )
        for number in range(1, options.rounds + 1):
            for route in ROUTES:
                for spec, _ in servers:
                    print(
                        f"  round {number}/{options.rounds}: {spec.name} ({database}) GET {route} ...", file=sys.stderr
                    )
                    result = run_wrk(
                        urls[spec.key] + route,
                        duration=options.duration,
                        connections=options.connections,
                        threads=options.threads,
                    )
                    if result.errors:
                        msg = f"{spec.name} answered GET {route} with {result.errors} errors under load; see {RESULTS}"
                        raise BenchmarkError(msg)
                    runs.setdefault((spec.key, route), []).append(result)
    return {key: _median_result(results) for key, results in runs.items()}


def bench_sqlite(options: ServingOptions, cpu: int | None) -> list[ServingRow]:
    """Ours, the tutorial shape and the list app, each on its own default SQLite file (or list)."""
    ours = OURS_LOGGING if options.access_log else OURS
    results = _load([(ours, {}), (TUTORIAL, {}), (LIST_APP, {})], options, cpu, "sqlite")
    return [
        ServingRow(route, results[OURS.key, route], results[TUTORIAL.key, route], results[LIST_APP.key, route])
        for route in ROUTES
    ]


def postgresql_url() -> URL | None:
    """BENCH_DATABASE_URL as a psycopg URL, or None when it is not set."""
    value = os.environ.get(DATABASE_VARIABLE)
    if not value:
        return None
    try:
        url = database_url(value)
    except ValueError as error:
        msg = f"{DATABASE_VARIABLE}: {error}"
        raise BenchmarkError(msg) from None
    if url.get_backend_name() != "postgresql":
        msg = (
            f"{DATABASE_VARIABLE}: name a PostgreSQL database (postgresql+psycopg://...); SQLite is measured without it"
        )
        raise BenchmarkError(msg)
    return url


def bench_postgresql(url: URL, options: ServingOptions, cpu: int | None) -> list[ServingRow]:
    """Ours and the tutorial shape on the same PostgreSQL database (each its own table), after migrating ours."""
    plain = url.render_as_string(hide_password=False)
    migrate = subprocess.run(
        (sys.executable, "-m", "example_provider", "migrate"),
        env=clean_env({"DATABASE_URL": plain}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if migrate.returncode != 0:
        msg = f"`example-provider migrate` on {shown(url)} failed: {migrate.stderr.strip()}"
        raise BenchmarkError(msg)
    ours = OURS_LOGGING if options.access_log else OURS
    servers = [(ours, {"DATABASE_URL": plain}), (TUTORIAL, {"TUTORIAL_DATABASE_URL": plain})]
    results = _load(servers, options, cpu, "postgresql")
    return [ServingRow(route, results[OURS.key, route], results[TUTORIAL.key, route], target=None) for route in ROUTES]


def format_serving(rows: Sequence[ServingRow]) -> str:
    lines = [
        "| Route | Server | req/s | p50 | p99 | errors |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        servers = [(OURS.name, row.ours), (TUTORIAL.name, row.tutorial)]
        servers += [(f"{LIST_APP.name} (reference)", row.list_app)] if row.list_app else []
        for name, result in servers:
            lines.append(
                f"| GET {row.route} | {name} | {result.requests_per_second:,.0f} | "
                f"{result.p50_ms:.2f} ms | {result.p99_ms:.2f} ms | {result.errors} |"
            )
        p99 = "no worse" if row.ours.p99_ms <= row.tutorial.p99_ms else "WORSE"
        verdict = f"target >= {row.target}x: {'met' if row.met else 'MISSED'}" if row.target else "report only"
        lines.append(f"| GET {row.route} | **ours/tutorial** | **{row.ratio:.2f}x** | | p99 {p99} | {verdict} |")
        if row.list_app:
            ratio = row.ours.requests_per_second / row.list_app.requests_per_second
            lines.append(f"| GET {row.route} | ours/list app | {ratio:.2f}x | | | no target |")
    return "\n".join(lines)


# --- CPUs -----------------------------------------------------------------------------------


def split_cpus() -> tuple[int | None, set[int] | None]:
    """The CPU for the servers and the CPUs for wrk, when there are at least two to split."""
    if not hasattr(os, "sched_getaffinity"):
        return None, None
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[-1], set(available[:-1])


@contextlib.contextmanager
def pinned(cpus: set[int] | None) -> Iterator[None]:
    """This process (and the wrk it starts) on `cpus` for the block."""
    if not cpus:
        yield
        return
    original = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, original)
