"""A native crash (segfault, Qt's fatal abort) leaves a traceback in logs/crash.log instead of dying silently.

Each case crashes a child process on purpose (faulthandler must not be redirected inside the test process).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from mlxstudio.core import logs


def _crash(code: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLXSTUDIO_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("PYTHONFAULTHANDLER", None)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_segfault_writes_every_threads_traceback(tmp_path: Path) -> None:
    out = _crash("""
        import faulthandler, threading, time
        from mlxstudio.core import logs
        print(logs.enable_crash_log())
        def background_work():
            time.sleep(30)
        threading.Thread(target=background_work, daemon=True).start()
        time.sleep(0.2)
        def crash_here():
            faulthandler._sigsegv()
        crash_here()
        """, tmp_path)
    assert out.returncode != 0
    log = tmp_path / "logs" / "crash.log"
    assert out.stdout.strip() == str(log)
    text = log.read_text()
    assert text.startswith("--- ") and " pid " in text.splitlines()[0]
    assert "Segmentation fault" in text
    assert "in crash_here" in text and "in background_work" in text  # all threads
    assert "Segmentation fault" not in out.stderr  # it went to the file, not to a terminal nobody reads


def test_qt_fatal_error_is_noted_with_its_reason(tmp_path: Path) -> None:
    """A QThread destroyed while it runs: Qt aborts the process; the crash log says why and where."""
    out = _crash("""
        import time
        import shiboken6
        from mlxstudio.gui.app import install_crash_log
        install_crash_log()
        from PySide6.QtCore import QCoreApplication, QThread
        app = QCoreApplication([])
        class Job(QThread):
            def run(self):
                time.sleep(10)
        job = Job()
        job.start()
        time.sleep(0.2)
        shiboken6.delete(job)
        """, tmp_path)
    assert out.returncode != 0
    text = (tmp_path / "logs" / "crash.log").read_text()
    assert "Qt fatal: QThread: Destroyed while thread" in text
    assert "Fatal Python error: Aborted" in text and "in run" in text
    assert "Qt fatal: QThread: Destroyed" in (tmp_path / "logs" / "mlxstudio.log").read_text()
    assert "QThread: Destroyed while thread" in out.stderr  # Qt's messages still reach stderr


def test_crash_log_keeps_one_old_generation(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "crash.log"
    log.parent.mkdir(parents=True)
    log.write_text("x" * (logs.CRASH_LOG_MAX_BYTES + 1))
    out = _crash("from mlxstudio.core import logs; logs.enable_crash_log()", tmp_path)
    assert out.returncode == 0, out.stderr
    assert log.with_name("crash.log.1").stat().st_size == logs.CRASH_LOG_MAX_BYTES + 1
    assert log.read_text().startswith("--- ") and len(log.read_text().splitlines()) == 1
