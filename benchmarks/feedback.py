"""Fast feedback: the wall time of `invoke verify` and `invoke test`, beside the CPU calibration of the same run.

Each command runs from start to exit with none of the project's settings and no `.env`. The
calibration (`benchmarks/calibration.py`, in its own process) says how fast this machine is now:
`invoke test` is judged in calibrations, so the target holds on a slower or faster machine.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.common import BenchmarkError, run

VERIFICATION_TEST = "tests/contract/test_provider_contract.py::test_provider_honours_pacts"
VERIFY_WALL_TARGET_S = 2.0
SUITE_TARGET_CALIBRATIONS = 40.0


@dataclass(frozen=True)
class WallTime:
    what: str
    seconds: tuple[float, ...]
    calibration_s: float  # this run's CPU calibration
    target_s: float | None = None  # at most this many seconds
    target_calibrations: float | None = None  # at most this many times the calibration

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def calibrations(self) -> float:
        return self.median / self.calibration_s

    @property
    def met(self) -> bool:
        within_seconds = self.target_s is None or self.median <= self.target_s
        within_calibrations = self.target_calibrations is None or self.calibrations <= self.target_calibrations
        return within_seconds and within_calibrations


def calibrate(steps: int | None = None) -> float:
    """This run's CPU calibration in seconds (`python -m benchmarks.calibration`); fewer `steps` a slice: a check."""
    command = (sys.executable, "-m", "benchmarks.calibration", *([str(steps)] if steps else []))
    done = run("the CPU calibration", command, timeout=300)
    try:
        return float(done.stdout)
    except ValueError:
        msg = f"the CPU calibration printed no time: {done.stdout[-2000:]!r}"
        raise BenchmarkError(msg) from None


def wall_time(  # noqa: PLR0913 - what, how, how often, and the targets
    what: str,
    command: Sequence[str],
    runs: int,
    calibration_s: float,
    *,
    target_s: float | None = None,
    target_calibrations: float | None = None,
) -> WallTime:
    """Seconds `command` takes from start to exit, `runs` times, with none of our settings set."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        run(what, command)
        seconds.append(time.perf_counter() - started)
    return WallTime(what, tuple(seconds), calibration_s, target_s, target_calibrations)


def bench_feedback(calibration_s: float, *, suite: bool) -> list[WallTime]:
    invoke = (sys.executable, "-m", "invoke")
    through_pytest = (sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", VERIFICATION_TEST)
    times = [
        wall_time(
            "`invoke verify` (bundled pacts)", (*invoke, "verify"), 3, calibration_s, target_s=VERIFY_WALL_TARGET_S
        ),
        wall_time("the same verification as a pytest test", through_pytest, 3, calibration_s),
    ]
    if suite:
        suite_time = wall_time(
            "`invoke test`", (*invoke, "test"), 1, calibration_s, target_calibrations=SUITE_TARGET_CALIBRATIONS
        )
        times.append(suite_time)
    return times


def _target(time_: WallTime) -> str:
    verdict = "met" if time_.met else "MISSED"
    if time_.target_calibrations is not None:
        return f"<= {time_.target_calibrations:.0f}x the calibration: {verdict}"
    if time_.target_s is not None:
        return f"<= {time_.target_s:.1f} s: {verdict}"
    return "baseline"


def format_feedback(times: Sequence[WallTime]) -> str:
    lines = [
        "| Command | Wall time (median) | In calibrations | Runs | Target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for time_ in times:
        runs = ", ".join(f"{s:.2f}" for s in time_.seconds)
        lines.append(f"| {time_.what} | {time_.median:.2f} s | {time_.calibrations:.1f}x | {runs} | {_target(time_)} |")
    return "\n".join(lines)
