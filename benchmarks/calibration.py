"""CPU calibration: the seconds one core takes for a fixed pure-Python loop of 20 million steps.

`python -m benchmarks.calibration` prints the figure. The loop runs in five slices of 4 million steps
and only the fastest slice counts (times five), so a moment of interference does not move it. A wall
time divided by this figure, both taken in the same run, compares across machines of different
speeds. The loop runs at module level on purpose: its names are then looked up in the module's
dictionary, as in the figures the targets were set with; inside a function they would be fast locals
and the loop about twice as fast. `python -m benchmarks.calibration <steps>` runs slices of that many
steps instead: a quick check that the tool works, not a calibration.
"""

import sys
import time

SLICES = 5
STEPS_PER_SLICE = 4_000_000

if __name__ == "__main__":
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else STEPS_PER_SLICE
    fastest = float("inf")
    for _ in range(SLICES):
        started = time.perf_counter()
        accumulated = 0
        for step in range(steps):
            accumulated += step * step
        fastest = min(fastest, time.perf_counter() - started)
    print(f"{fastest * SLICES:.3f}")
