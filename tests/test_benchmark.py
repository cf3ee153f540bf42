"""Smoke test of `benchmarks/bench.py` without wrk: reading wrk's output, the report, the pact."""

from __future__ import annotations

import pytest

from benchmarks import baseline_app
from benchmarks.bench import (
    BenchmarkError,
    ServingRow,
    VerificationCost,
    WrkResult,
    format_serving,
    format_verification,
    generate_pact,
    main,
    parse_wrk,
    time_verification,
)
from example_provider.app import create_app
from example_provider.products import ProductRepository

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


def test_verification_report_shows_the_cost_of_states() -> None:
    report = format_verification(VerificationCost(200, with_states_s=(1.2, 1.3, 1.0), without_states_s=(1.0, 1.0, 1.0)))
    assert "| 200 | 1.20 s | 6.00 ms | 5.00-6.50 ms |" in report
    assert "**+20.0 %** (target <= 20 %: met)" in report


def test_states_cost_is_the_median_of_paired_rounds_not_of_each_side() -> None:
    """A round disturbed on one side only moves the result by one rank, not by its size."""
    cost = VerificationCost(100, with_states_s=(1.1, 3.0, 1.1), without_states_s=(1.0, 1.0, 2.0))
    assert round(cost.added, 3) == 0.1
    assert cost.met
    assert not VerificationCost(100, with_states_s=(1.3, 1.3, 1.3), without_states_s=(1.0, 1.0, 1.0)).met


@pytest.mark.parametrize("value", ["0", "-3", "ten"])
def test_bad_options_are_refused_with_a_message(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main([f"--verify-rounds={value}"])
    assert raised.value.code == 2
    assert "must be a whole number of at least 1" in capsys.readouterr().err


def test_generated_pact_passes_with_states_against_ours_and_without_against_the_baseline() -> None:
    ours = create_app(ProductRepository(), provider_states=True)
    assert time_verification(ours, generate_pact(3, with_states=True), with_states=True) > 0
    assert time_verification(baseline_app.app, generate_pact(3, with_states=False), with_states=False) > 0


def test_a_failing_verification_is_an_error_not_a_time() -> None:
    with pytest.raises(BenchmarkError, match="verification failed"):
        time_verification(create_app(ProductRepository([])), generate_pact(3, with_states=False), with_states=False)
