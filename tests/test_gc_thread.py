"""Issue 15: Python's garbage collector must never run Qt destructors on a worker thread (it deadlocked the suite).

The probe (tests/gc_thread_probe.py) drops widgets in reference cycles on the GUI thread while a worker thread
allocates heavily, in a child process under a hard time limit: a deadlock or a crash fails fast instead of freezing
the suite. With Python's default the worker's collections free the widgets (all of them off the GUI thread, or the
child segfaults / hangs); with :mod:`mlxstudio.gui.collector` every one is freed on the GUI thread.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

PROBE = Path(__file__).with_name("gc_thread_probe.py")


def run_probe(*args: str) -> tuple[int | None, dict[str, int] | None, str]:
    env = {**os.environ, "PYTHONFAULTHANDLER": "1", "PROBE_SECONDS": "3"}
    try:
        done = subprocess.run([sys.executable, str(PROBE), *args], capture_output=True, text=True, timeout=60,
                              env=env, cwd=PROBE.parent)
    except subprocess.TimeoutExpired as exc:  # a deadlock: both threads blocked in C
        return None, None, str(exc.stderr or "")
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    return done.returncode, (json.loads(lines[-1]) if lines else None), done.stderr


def test_with_the_collector_qt_objects_die_on_the_gui_thread() -> None:
    rc, result, err = run_probe("--collector")
    assert rc == 0, f"probe ended with {rc} (None: hung for 60 s)\n{err[-3000:]}"
    assert result is not None and result["made"] > 20, result
    assert result["freed"] == result["made"], result  # collection still happens (on the GUI thread's timer)
    assert result["off_thread"] == 0, result


def test_without_it_the_worker_thread_frees_them() -> None:
    """The control: the probe does detect the mechanism on Python's default set-up (the code before the fix)."""
    rc, result, _err = run_probe()
    wrong = rc is None or rc != 0 or (result is not None and result["off_thread"] > 0)
    assert wrong, f"no widget was freed off the GUI thread and nothing crashed: the probe proves nothing ({result})"


def test_the_suite_collects_on_the_main_thread_only(qapp) -> None:
    """conftest and the qapp fixture install the same policy as the app: no automatic collection anywhere."""
    from mlxstudio.gui import collector

    assert collector.installed() and not gc.isenabled()
    before = len(collector.off_thread_collections())
    t = threading.Thread(target=lambda: [{"x": [i]} for i in range(200_000)])
    t.start()
    t.join()
    assert collector.off_thread_collections()[before:] == []
