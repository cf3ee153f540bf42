"""Smoke test of `benchmarks/` without wrk: reading wrk's output, the reports, the pacts, the baselines."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pact import Verifier
from sqlalchemy import URL

from benchmarks.bench import main
from benchmarks.common import ROOT, BenchmarkError, run
from benchmarks.feedback import WallTime, calibrate, format_feedback, wall_time
from benchmarks.serving import ServingRow, WrkResult, format_serving, parse_wrk, postgresql_url
from benchmarks.verification import (
    MessageCost,
    VerifierCost,
    format_messages,
    format_verifier,
    our_verifier,
    stock_verifier,
    time_verification,
)
from example_provider.app import create_app

WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:41234/product/10
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  301.14us  12.35ms   91.61%
    Req/Sec    31.62k     1.21k   33.40k    83.00%
  Latency Distribution
     50%  812.00us
     75%    1.01ms
     90%    1.21ms
     99%    1.93ms
  314671 requests in 10.00s, 63.32MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  31466.21
Transfer/sec:      6.33MB
"""


def test_parse_wrk_reads_rate_percentiles_and_errors() -> None:
    assert parse_wrk(WRK_OUTPUT) == WrkResult(31466.21, 0.812, 1.93, errors=7)


def test_parse_wrk_without_latency_distribution_says_so() -> None:
    without = "\n".join(line for line in WRK_OUTPUT.splitlines() if "%  " not in line or "Latency " in line)
    with pytest.raises(BenchmarkError, match="--latency"):
        parse_wrk(without)


def test_serving_report_shows_every_server_and_judges_ours_against_the_tutorial_shape() -> None:
    met = ServingRow("/product/10", WrkResult(3000, 0.8, 1.9), WrkResult(1000, 3.2, 7.3), WrkResult(6000, 0.5, 1.0))
    missed = ServingRow("/products", WrkResult(2000, 0.8, 9.0), WrkResult(1000, 3.0, 6.0), WrkResult(4000, 0.5, 1.0))
    report = format_serving([met, missed])
    assert "| GET /product/10 | example-provider | 3,000 | 0.80 ms | 1.90 ms | 0 |" in report
    assert "| GET /product/10 | tutorial shape | 1,000 | 3.20 ms | 7.30 ms | 0 |" in report
    assert "| GET /product/10 | list app (reference) | 6,000 | 0.50 ms | 1.00 ms | 0 |" in report
    assert "| GET /product/10 | **ours/tutorial** | **3.00x** | | p99 no worse | target >= 1.5x: met |" in report
    assert "| GET /product/10 | ours/list app | 0.50x | | | no target |" in report  # slower than the list: no matter
    assert "| GET /products | **ours/tutorial** | **2.00x** | | p99 WORSE | target >= 1.5x: MISSED |" in report
    assert met.met
    assert not missed.met


def test_serving_below_the_target_ratio_is_missed_even_with_a_better_p99() -> None:
    assert not ServingRow("/products", WrkResult(1400, 0.8, 1.0), WrkResult(1000, 3.0, 6.0)).met


def test_serving_on_postgresql_is_reported_not_judged() -> None:
    row = ServingRow("/products", WrkResult(500, 5.0, 90.0), WrkResult(1000, 3.0, 6.0), target=None)
    report = format_serving([row])
    assert "| GET /products | **ours/tutorial** | **0.50x** | | p99 WORSE | report only |" in report
    assert "list app" not in report
    assert row.met


def test_the_benchmark_database_must_be_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    assert postgresql_url() is None
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgresql://bench:secret@127.0.0.1/bench")
    assert postgresql_url() == URL.create("postgresql+psycopg", "bench", "secret", "127.0.0.1", database="bench")
    monkeypatch.setenv("BENCH_DATABASE_URL", "sqlite:///bench.db")
    with pytest.raises(BenchmarkError, match=r"^BENCH_DATABASE_URL: name a PostgreSQL database"):
        postgresql_url()


def test_the_tutorial_shape_serves_the_same_products_as_ours(
    sqlite_database: URL, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # as the benchmark starts it: its SQLite file goes in its working folder
    monkeypatch.delenv("TUTORIAL_DATABASE_URL", raising=False)
    loaded = importlib.util.spec_from_file_location("tutorial_app_under_test", ROOT / "benchmarks" / "tutorial_app.py")
    assert loaded is not None
    assert loaded.loader is not None
    tutorial_app = importlib.util.module_from_spec(loaded)
    monkeypatch.setitem(sys.modules, loaded.name, tutorial_app)  # SQLAlchemy reads its annotations from there
    loaded.loader.exec_module(tutorial_app)  # a fresh module: its engine opens the file in this folder
    try:
        with (
            TestClient(tutorial_app.app) as tutorial,
            TestClient(create_app(sqlite_database), base_url="http://127.0.0.1:8000") as ours,
        ):
            for path in ("/product/10", "/products/10", "/products"):
                answered = tutorial.get(path)
                assert answered.status_code == 200
                assert answered.json() == ours.get(path).json()
            assert tutorial.get("/product/12").status_code == ours.get("/product/12").status_code == 404
    finally:
        tutorial_app.engine.dispose()
    assert (tmp_path / "tutorial.db").is_file()


def test_verifier_report_shows_both_sides_and_the_verdict() -> None:
    report = format_verifier(VerifierCost(stock_ms=(9.0, 8.0, 10.0), ours_ms=(4.0, 4.0, 4.0)))
    assert "| stock pact-python | 9.00 ms | 8.00-10.00 ms |" in report
    assert "| example-provider | 4.00 ms | 4.00-4.00 ms |" in report
    assert "**2.25x** | target >= 2x: met |" in report


def test_the_speed_up_is_the_median_of_paired_rounds_not_of_each_side() -> None:
    """A round disturbed on one side only moves the result by one rank, not by its size."""
    cost = VerifierCost(stock_ms=(9.0, 30.0, 9.0), ours_ms=(3.0, 3.0, 9.0))
    assert cost.speed_up == 3.0
    assert cost.met
    assert not VerifierCost(stock_ms=(9.0, 9.0, 9.0), ours_ms=(5.0, 5.0, 5.0)).met


def test_message_report_shows_both_kinds_and_their_ratio() -> None:
    report = format_messages(MessageCost(http_ms=(4.0, 5.0, 4.0), message_ms=(6.0, 5.0, 4.0)))
    assert "| HTTP interactions | 4.00 ms | 4.00-5.00 ms |" in report
    assert "| message interactions | 5.00 ms | 4.00-6.00 ms |" in report
    assert "**1.00x** | no target |" in report  # the median of 1.5, 1.0 and 1.0


def test_fast_feedback_report_shows_seconds_calibrations_and_targets() -> None:
    report = format_feedback(
        [
            WallTime("`invoke verify`", (1.2, 1.4, 1.3), 1.5, target_s=2.0),
            WallTime("through pytest", (4.0, 4.2, 4.1), 1.5),
            WallTime("`invoke test`", (75.0,), 1.5, target_calibrations=40.0),
        ]
    )
    assert "| `invoke verify` | 1.30 s | 0.9x | 1.20, 1.40, 1.30 | <= 2.0 s: met |" in report
    assert "| through pytest | 4.10 s | 2.7x | 4.00, 4.20, 4.10 | baseline |" in report
    assert "| `invoke test` | 75.00 s | 50.0x | 75.00 | <= 40x the calibration: MISSED |" in report


def test_the_suite_is_judged_in_calibrations_not_seconds() -> None:
    """The same 75 s meets the target on a machine half as fast."""
    assert WallTime("`invoke test`", (75.0,), 2.0, target_calibrations=40.0).met
    assert not WallTime("`invoke test`", (75.0,), 1.8, target_calibrations=40.0).met


def test_the_calibration_is_a_time_in_seconds() -> None:
    assert (
        0 < calibrate(steps=20_000) < 5
    )  # slices of 20,000 steps: the tool works; the 4 million run only in the bench


def test_a_command_that_fails_is_an_error_not_a_time() -> None:
    with pytest.raises(BenchmarkError, match=r"failed \(3\)"):
        wall_time("a failing command", (sys.executable, "-c", "raise SystemExit(3)"), 1, 1.5)


@pytest.mark.parametrize("value", ["0", "-3", "ten"])
def test_bad_options_are_refused_with_a_message(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main([f"--verify-rounds={value}"])
    assert raised.value.code == 2
    assert "must be a whole number of at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("make", [stock_verifier, our_verifier])
def test_the_generated_pact_passes_with_both_verifiers(make: object) -> None:
    assert time_verification(make, 3) > 0  # type: ignore[arg-type]


def test_stock_pact_python_is_measured_in_a_process_of_its_own_as_it_comes() -> None:
    """Not as ours sets it: pact-python fixes how it forwards log events when a process makes its first verifier."""
    command = [sys.executable, "-m", "benchmarks.verification", "stock", "--sizes", "2", "3"]
    done = run("the stock verifier's process", command, timeout=120)  # a BenchmarkError with its output if it fails
    assert json.loads(done.stdout.splitlines()[-1])["forwarding"] == "INFO", done.stdout


def test_the_generated_message_pact_passes_with_our_verifier() -> None:
    assert time_verification(our_verifier, 3, messages=True) > 0


def test_a_failing_verification_is_an_error_not_a_time() -> None:
    def wrong_state_url(base_url: str, pact_file: Path) -> Verifier:
        return stock_verifier(base_url, pact_file).state_handler(base_url + "/nowhere", teardown=True, body=True)

    with pytest.raises(BenchmarkError, match="verification failed"):
        time_verification(wrong_state_url, 3)
