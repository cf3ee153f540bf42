"""Standard output that survives a reader who stops reading: `invoke verify | head`.

The verifier (Rust, in this process) prints its report straight to file descriptor 1 and panics
when that is a closed pipe. So while it runs, descriptor 1 is a pipe this process drains into the
real standard output; once the reader has gone, the rest is dropped, and so is everything printed
after.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator

CHUNK = 65536


@contextlib.contextmanager
def forwarded_stdout() -> Iterator[None]:
    """Route descriptor 1 through a pipe drained into the real standard output, which may close early."""
    sys.stdout.flush()
    real_stdout = os.dup(1)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.close(write_end)
    reader_gone = threading.Event()

    def drain() -> None:
        while chunk := os.read(read_end, CHUNK):
            if not reader_gone.is_set():
                try:
                    os.write(real_stdout, chunk)
                except BrokenPipeError:
                    reader_gone.set()

    forwarder = threading.Thread(target=drain, daemon=True)
    forwarder.start()
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(real_stdout, 1)  # closes the pipe's last write end: the forwarder reads to its end
        forwarder.join()
        os.close(read_end)
        if reader_gone.is_set():
            with open(os.devnull, "wb") as devnull:  # noqa: PTH123 - a descriptor to copy
                os.dup2(devnull.fileno(), 1)
        os.close(real_stdout)
