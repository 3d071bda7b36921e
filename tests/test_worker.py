"""The worker process: job spec in, JSON-line events out, cancel, crashes turned into Failed events."""

from __future__ import annotations

import json
import subprocess
import sys

from mlxstudio.core import events as ev
from mlxstudio.core.runtime.worker import JOBS, WorkerProcess, execute, worker_command


def kinds(events: list[ev.Event]) -> list[str]:
    return [e.kind for e in events]


def test_in_process_and_worker_emit_the_same_events() -> None:
    seen: list[ev.Event] = []
    assert execute("selftest", {"steps": 3}, seen.append) == 0
    w = WorkerProcess("selftest", {"steps": 3})
    remote = list(w.events())
    assert remote == seen
    assert kinds(remote) == ["Progress"] * 3 + ["Finished"]
    assert remote[-1].result == {"steps": 3, "message": "selftest done (3 steps)"}  # type: ignore[attr-defined]
    assert w.returncode == 0


def test_errors_become_failed_events_with_exit_codes() -> None:
    w = WorkerProcess("selftest", {"steps": 1, "fail": "user"})
    final = w.run()
    assert isinstance(final, ev.Failed) and final.message == "selftest: a user-fixable problem"
    assert w.returncode == 2
    w = WorkerProcess("selftest", {"steps": 1, "fail": "internal"})
    final = w.run()
    assert isinstance(final, ev.Failed) and "RuntimeError: selftest: an internal error" in final.message
    assert "Traceback" in final.detail
    assert w.returncode == 3
    seen: list[ev.Event] = []
    assert execute("no-such-job", {}, seen.append) == 2
    assert isinstance(seen[-1], ev.Failed) and "unknown job 'no-such-job'" in seen[-1].message


def test_stray_output_does_not_corrupt_the_event_stream() -> None:
    w = WorkerProcess("selftest", {"steps": 2, "fail": "print"})
    events = list(w.events())
    assert kinds(events) == ["Progress", "Progress", "Finished"]
    assert "noise on stdout 1" in w.stderr_tail() and "C-level noise" in w.stderr_tail()


def test_cancel_is_graceful() -> None:
    w = WorkerProcess("selftest", {"steps": 200, "delay": 0.02}).start()
    it = w.events()
    assert isinstance(next(it), ev.Progress)
    w.cancel()
    rest = list(it)
    assert isinstance(rest[-1], ev.Cancelled) and rest[-1].message.startswith("stopped after")
    assert len(rest) < 150
    assert w.returncode == 130


def test_killed_worker_yields_failed_with_the_signal() -> None:
    w = WorkerProcess("selftest", {"steps": 3, "fail": "crash", "crash_at": 2})
    events = list(w.events())
    assert kinds(events) == ["Progress", "Failed"]
    assert "SIGKILL" in events[-1].message  # type: ignore[attr-defined]
    assert w.returncode == -9


def test_command_line_spec_and_bad_spec() -> None:
    spec = json.dumps({"job": "selftest", "params": {"steps": 1}})
    out = subprocess.run([*worker_command(), spec], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=60)
    lines = [ev.from_json(x) for x in out.stdout.splitlines()]
    assert kinds(lines) == ["Progress", "Finished"] and out.returncode == 0
    out = subprocess.run([sys.executable, "-m", "mlxstudio.core.runtime.worker", "{not json"], capture_output=True,
                         text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert out.returncode == 2
    assert "bad job spec" in ev.from_json(out.stdout.splitlines()[-1]).message  # type: ignore[attr-defined]
    assert "train" in JOBS
