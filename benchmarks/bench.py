"""example-provider against its baselines, side by side, in one run; the numbers go to benchmarks/README.md.

1. Serving (`serving.py`): ours against the FastAPI-tutorial shape over SQLite, with the original
   example's list app beside them for reference; and on PostgreSQL when BENCH_DATABASE_URL names one.
2. Verification (`verification.py`): our verifier against stock pact-python per interaction, with
   provider states; and our verifier on messages beside HTTP.
3. Fast feedback (`feedback.py`): `invoke verify` and `invoke test`, beside the CPU calibration.

Targets: serving >= 1.5x the tutorial shape's req/s on both routes with a p99 no worse; the verifier
>= 2x stock per interaction; `invoke verify` <= 2.0 s; `invoke test` <= 40 times the calibration.
The exit status is 0 when every target is met, 1 when one is missed, 2 when something could not be
measured.

    python -m benchmarks.bench --duration 10 --connections 32 --verify-rounds 9
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from benchmarks import feedback, serving, verification
from benchmarks.common import BenchmarkError
from example_provider.db import shown


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs ({model}), Python {sys.version.split()[0]}"


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
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench",
        description=__doc__.split("\n\n")[0],
        epilog=f"{serving.DATABASE_VARIABLE} (environment, optional): a PostgreSQL database to also serve "
        "ours and the tutorial shape from, reported without a target.",
    )
    parser.add_argument("--duration", type=_positive, default=10, help="seconds of load per server and route (10)")
    parser.add_argument("--connections", type=_positive, default=32, help="concurrent wrk connections (32)")
    parser.add_argument("--threads", type=_positive, default=1, help="wrk threads (1)")
    parser.add_argument("--rounds", type=_positive, default=1, help="alternating wrk rounds; the median is shown (1)")
    parser.add_argument("--verify-rounds", type=_positive, default=9, help="back-to-back verifier slopes (9)")
    parser.add_argument("--no-suite", dest="suite", action="store_false", help="skip timing `invoke test`")
    parser.add_argument(
        "--access-log", action="store_true", help="serve ours with the access log on, like the baselines"
    )
    return parser


def _serving(args: argparse.Namespace) -> list[serving.ServingRow]:
    options = serving.ServingOptions(args.duration, args.connections, args.threads, args.rounds, args.access_log)
    postgresql = serving.postgresql_url()
    server_cpu, load_cpus = serving.split_cpus()
    ours = serving.OURS_LOGGING if args.access_log else serving.OURS
    pinning = f"servers on CPU {server_cpu}, wrk on CPUs {sorted(load_cpus or [])}" if load_cpus else "no CPU pinning"
    print(
        f"Serving: one uvicorn worker each; wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"{args.rounds} alternating round(s) after a warm-up; {pinning}.\n"
        f"- {ours.name}: {ours.description}\n"
        f"- {serving.TUTORIAL.name}: {serving.TUTORIAL.description}\n"
        f"- {serving.LIST_APP.name}: {serving.LIST_APP.description}\n\n"
        "On SQLite, each in an empty working folder with its own default file:\n"
    )
    with serving.pinned(load_cpus):  # wrk inherits it
        rows = serving.bench_sqlite(options, server_cpu)
        print(serving.format_serving(rows) + "\n", flush=True)
        if postgresql is not None:
            print(f"On PostgreSQL ({shown(postgresql)}), ours and the tutorial shape, each its own table:\n")
            print(serving.format_serving(serving.bench_postgresql(postgresql, options, server_cpu)) + "\n", flush=True)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if shutil.which("wrk") is None:
        print(f"bench: {serving.WRK_INSTALL}", file=sys.stderr)
        return 2
    os.environ["PACT_DO_NOT_TRACK"] = "true"
    print(f"# Benchmark: {machine()}\n")
    try:
        rows = _serving(args)
        print(
            f"Verifier: pacts of {verification.SMALL_PACT} and {verification.LARGE_PACT} interactions with states, "
            f"{args.verify_rounds} back-to-back rounds (ABBA order), each side in a process of its own after a "
            "warm-up (stock pact-python forwards the verifier's INFO log events, as it does unless told otherwise).\n"
        )
        cost = verification.bench_verifier(args.verify_rounds)
        print(verification.format_verifier(cost) + "\n", flush=True)
        print("Messages: our verifier on message and HTTP pacts of the same sizes, the same rounds.\n")
        print(verification.format_messages(verification.bench_messages(args.verify_rounds)) + "\n", flush=True)
        calibration_s = feedback.calibrate()
        print(
            "Fast feedback: wall time from start to exit, none of our settings set; the CPU calibration "
            f"(`python -m benchmarks.calibration`) took {calibration_s:.3f} s.\n",
            flush=True,
        )
        times = feedback.bench_feedback(calibration_s, suite=args.suite)
        print(feedback.format_feedback(times))
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
