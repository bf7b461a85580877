"""Running `digitpad` as the user would, in a process bounded in memory and time, for hostile
input (issue 25): a case that would need gigabytes ends in MemoryError (a traceback the tests
look for), one that would run for minutes ends at the timeout, so a regression fails the test
instead of stalling the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Address space, not resident memory: torch alone maps about 650 MB of it.
DEFAULT_MEMORY = 1536 * 1024 * 1024

_RUNNER = ("import resource, runpy, sys; limit = int(sys.argv.pop(1)); "
           "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); sys.argv[0] = 'digitpad'; "
           "runpy.run_module('digitpad', run_name='__main__', alter_sys=True)")


def run_digitpad(*args, memory: int = DEFAULT_MEMORY, timeout: float = 60, **kwargs) -> subprocess.CompletedProcess:
    """`digitpad *args` in a subprocess limited to `memory` bytes of address space and `timeout`
    seconds (subprocess.TimeoutExpired past it). Text output captured unless `stdout`/`stderr`
    are given; other keyword arguments go to subprocess.run (input, stdin, preexec_fn, …)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", _RUNNER, str(memory), *map(str, args)], text=True,
                          timeout=timeout, check=False, cwd=ROOT, env=env, **kwargs)


def one_error_line(err: str) -> str:
    """The single line a hostile input must get (no traceback, no warnings around it)."""
    assert "Traceback" not in err, err[-3000:]
    lines = [line for line in err.strip().splitlines() if line.strip()]
    assert len(lines) == 1, err[-3000:]
    return lines[0]


def call_beside_a_pipe(call, fifo, seconds: float = 20):
    """`call()` in a thread; what it returned or raised, as (True, value) or (False, exception).
    Should it still be running after `seconds` (it opened the named pipe `fifo` and waits for a
    writer: the bug), a writer opens and closes the pipe to let it end, and AssertionError says so."""
    import threading

    outcome: list = []

    def run():
        try:
            outcome.append((True, call()))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append((False, exc))

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        with open(fifo, "wb"):
            pass
        worker.join(seconds)
        raise AssertionError(f"still blocked on the named pipe {fifo} after {seconds} s")
    return outcome[0]
