"""Smoke test of `benchmarks/bench.py` without wrk: reading wrk's output, the report, the pact."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pact import Verifier

from benchmarks.bench import (
    BenchmarkError,
    MessageCost,
    ServingRow,
    VerifierCost,
    WallTime,
    WrkResult,
    format_feedback,
    format_messages,
    format_serving,
    format_verifier,
    main,
    our_verifier,
    parse_wrk,
    stock_verifier,
    time_verification,
    wall_time,
)

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


def test_serving_report_shows_both_servers_and_the_verdict() -> None:
    met = ServingRow("/product/10", WrkResult(30000, 0.8, 1.9), WrkResult(9000, 3.2, 7.3))
    missed = ServingRow("/products", WrkResult(20000, 0.8, 9.0), WrkResult(10000, 3.0, 6.0))
    report = format_serving([met, missed])
    assert "| GET /product/10 | example-provider | 30,000 | 0.80 ms | 1.90 ms | 0 |" in report
    assert "| GET /product/10 | baseline | 9,000 | 3.20 ms | 7.30 ms | 0 |" in report
    assert "**3.33x** | | p99 no worse | target met |" in report
    assert "**2.00x** | | p99 WORSE | target MISSED |" in report


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


def test_fast_feedback_report_shows_targets_and_baselines() -> None:
    report = format_feedback(
        [
            WallTime("`invoke verify`", (1.2, 1.4, 1.3), 2.0),
            WallTime("through pytest", (4.0, 4.2, 4.1)),
            WallTime("`invoke test`", (75.0,), 60.0),
        ]
    )
    assert "| `invoke verify` | 1.30 s | 1.20, 1.40, 1.30 | <= 2 s: met |" in report
    assert "| through pytest | 4.10 s | 4.00, 4.20, 4.10 | baseline |" in report
    assert "| `invoke test` | 75.00 s | 75.00 | <= 60 s: MISSED |" in report


def test_a_command_that_fails_is_an_error_not_a_time() -> None:
    with pytest.raises(BenchmarkError, match=r"failed \(3\)"):
        wall_time("a failing command", (sys.executable, "-c", "raise SystemExit(3)"), 1)


@pytest.mark.parametrize("value", ["0", "-3", "ten"])
def test_bad_options_are_refused_with_a_message(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main([f"--verify-rounds={value}"])
    assert raised.value.code == 2
    assert "must be a whole number of at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("make", [stock_verifier, our_verifier])
def test_the_generated_pact_passes_with_both_verifiers(make: object) -> None:
    assert time_verification(make, 3) > 0  # type: ignore[arg-type]


def test_the_generated_message_pact_passes_with_our_verifier() -> None:
    assert time_verification(our_verifier, 3, messages=True) > 0


def test_a_failing_verification_is_an_error_not_a_time() -> None:
    def wrong_state_url(base_url: str, pact_file: Path) -> Verifier:
        return stock_verifier(base_url, pact_file).state_handler(base_url + "/nowhere", teardown=True, body=True)

    with pytest.raises(BenchmarkError, match="verification failed"):
        time_verification(wrong_state_url, 3)
