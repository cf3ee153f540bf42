"""What `invoke verify` prints: an unknown state in one line, and nothing broken when its reader stops early."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pact.logging import forwarding_level

from example_provider.pipeline.output import forwarded_stdout
from example_provider.pipeline.plan import VerificationPlan
from example_provider.pipeline.verifier import build_verifier
from tests.pacts import BUNDLED_PROVIDER, FIXTURE_PACTS, FIXTURE_PROVIDER
from tests.process import clean_env

ROOT = Path(__file__).resolve().parents[2]
INVOKE = str(Path(sys.executable).with_name("invoke"))


def test_an_unknown_state_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    shutil.copy(FIXTURE_PACTS / "broken" / "unknown-state.json", tmp_path)
    env = clean_env({"PACT_DIR": str(tmp_path), "PACTICIPANT": FIXTURE_PROVIDER})
    run = subprocess.run(
        [INVOKE, "verify"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if "unknown provider state" in line]
    assert len(lines) == 1, output
    assert lines[0].startswith("unknown provider state 'a product with ID 99 is on sale': add it to "), output


@pytest.mark.parametrize(
    ("yours", "forwarded"), [(logging.NOTSET, logging.WARNING), (logging.DEBUG, logging.DEBUG)], ids=["unset", "yours"]
)
def test_the_verifier_forwards_its_warnings_not_its_info_events_unless_you_set_a_level(
    caplog: pytest.LogCaptureFixture, yours: int, forwarded: int
) -> None:
    caplog.set_level(yours, logger="pact.ffi")  # restored after the test
    plan = VerificationPlan("a-provider", "directory", str(FIXTURE_PACTS))
    build_verifier(plan, "http://127.0.0.1:1", api_token=None)
    assert forwarding_level() == forwarded


def test_invoke_verify_piped_into_head_exits_cleanly() -> None:
    """`invoke verify | head -1`: the reader goes after one line; the verifier must not crash (it used to: 134)."""
    env = clean_env({"PACTICIPANT": BUNDLED_PROVIDER})
    process = subprocess.Popen(
        [INVOKE, "verify"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    assert process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()  # as head does after its lines
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 0, stderr
    assert first.startswith("verifying the pact files in ")
    assert "panicked" not in stderr
    assert "Traceback" not in stderr
    assert "Broken pipe" not in stderr


def test_forwarded_stdout_passes_everything_through(capfd: pytest.CaptureFixture[str]) -> None:
    with forwarded_stdout():
        print("from python", flush=True)  # noqa: T201
        os.write(1, b"from descriptor 1\n")  # how the verifier writes
    print("after", flush=True)  # noqa: T201
    assert capfd.readouterr().out == "from python\nfrom descriptor 1\nafter\n"
