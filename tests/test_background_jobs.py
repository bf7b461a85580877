"""gui/jobs/background.py: how a job's failure is reported and logged."""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("PySide6")

from digitpad.errors import ExportError  # noqa: E402
from digitpad.gui.jobs.background import BackgroundJob, Worker  # noqa: E402
from digitpad.gui.jobs.latest_only import LatestOnly  # noqa: E402


class Failing(Worker):
    def __init__(self, exc: Exception):
        super().__init__()
        self.exc = exc

    def work(self) -> object:
        raise self.exc


def run_to_failure(qtbot, exc: Exception) -> str:
    job = BackgroundJob(Failing(exc), "test-failing")
    with qtbot.waitSignal(job.worker.failed, timeout=10_000) as failed:
        job.start()
    qtbot.waitUntil(lambda: not job.is_running())
    return failed.args[0]


@pytest.mark.parametrize("exc", [ExportError("/tmp/x.onnx: refusing to replace it"),
                                 PermissionError(13, "Permission denied", "/tmp/x")])
def test_a_refusal_the_person_is_told_about_logs_no_traceback(qtbot, caplog, exc):
    # Export onto /dev/null was refused in a message box, and the terminal got a two-part traceback.
    with caplog.at_level(logging.WARNING, logger="digitpad.gui.jobs.background"):
        message = run_to_failure(qtbot, exc)
    assert "refusing" in message or "Permission denied" in message
    assert caplog.records and all(record.exc_info is None for record in caplog.records)


def test_an_unexpected_error_is_logged_with_its_traceback(qtbot, caplog):
    with caplog.at_level(logging.WARNING, logger="digitpad.gui.jobs.background"):
        message = run_to_failure(qtbot, ZeroDivisionError("division by zero"))
    assert message == "ZeroDivisionError: division by zero"
    assert any(record.exc_info is not None for record in caplog.records)


def test_latest_only_is_busy_until_its_result_has_been_delivered(qtbot):
    # "Not busy" is what callers (and tests) wait for before looking at the result: the thread
    # ending is not enough, the result still has to reach the GUI thread.
    jobs = LatestOnly("digitpad-test-latest")
    results: list = []
    jobs.finished.connect(lambda key, result: results.append((key, result)))
    jobs.submit("a", lambda: 42)
    assert jobs._job is not None and jobs._job.thread.wait(10_000)  # ended; no event handled yet
    assert jobs.busy() and results == []
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=10_000)
    assert results == [("a", 42)]


def test_latest_only_after_shutdown_a_new_job_stays_busy_and_the_old_result_stays_unreported(qtbot):
    # A job stopped by shutdown() still delivers its `done` (and its result) afterwards, as queued
    # calls; a submit() in between started a new job whose busy flag that stale `done` cleared (and
    # the stale result was reported, as if shutdown had not happened).
    import threading

    jobs = LatestOnly("digitpad-test-latest")
    results: list = []
    jobs.finished.connect(lambda key, result: results.append((key, result)))
    jobs.submit("old", lambda: "old result")
    assert jobs._job.thread.wait(10_000)  # ended; its result and its `done` are queued, not handled
    jobs.shutdown()
    release = threading.Event()
    jobs.submit("new", lambda: release.wait(10) and "new result")
    qtbot.wait(50)  # the old job's queued calls are handled here
    release.set()
    assert jobs._job.thread.wait(10_000)  # the new job ended; its result is not in yet
    assert jobs.busy(), "the new job's result is still on its way, yet busy() said no"
    qtbot.waitUntil(lambda: not jobs.busy(), timeout=10_000)
    assert results == [("new", "new result")]
