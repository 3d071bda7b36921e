"""Quitting while an in-process job cannot stop (a GGUF import step, the backend check on a slow disk) ends the app
cleanly and promptly: exit code 0, no "QThread: Destroyed while thread is still running" abort, settings written.

The real entry point (``mlxstudio.gui.app.main``) runs in a child process; a small driver patches the core functions
so they block, uninterruptibly, far longer than the test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

DRIVER = """
    import os, sys, threading, time, traceback
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    from mlxstudio.core.runtime import backend
    from mlxstudio.core import models  # the surface the Model page imports from when an import starts
    from mlxstudio.gui import app, jobs

    def stuck(*_args, **_kwargs):  # like a tokenizer load or an import step on a slow disk: ignores cancel
        time.sleep(600)

    backend.detect = stuck
    models.import_gguf = stuck
    QMessageBox.question = lambda *a, **k: QMessageBox.StandardButton.Yes  # "Stop the import and quit?" → Yes
    how = sys.argv[1]

    watchdog = threading.Timer(60, os._exit, (4,))  # the test never hangs on this child
    watchdog.daemon = True
    watchdog.start()

    def go():
        try:
            start_and_quit()
        except BaseException:
            traceback.print_exc()
            os._exit(3)

    def start_and_quit():
        window = QApplication.instance().window
        window.status.detect_backend()
        model_page = window.page("model")
        assert model_page.import_gguf(Path(sys.argv[2])), "the import did not start"
        time.sleep(0.3)
        assert len(jobs.running()) == 2, jobs.running()
        print("ready", time.monotonic(), flush=True)
        if how == "quit":
            window.quit()  # File → Quit

    qapp = app.Application([sys.argv[0]])  # main() uses it
    QTimer.singleShot(500, go)
    sys.exit(app.main([]))
"""


@pytest.mark.parametrize("how", ["quit", "sigterm"])
def test_quit_with_a_job_that_cannot_stop_exits_cleanly_and_promptly(tmp_path: Path, how: str) -> None:
    model = tmp_path / "Slow-Model.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    home = tmp_path / "home"
    env = {**os.environ, "MLXSTUDIO_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(DRIVER), how, str(model)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("ready"), line + proc.communicate(timeout=90)[1]
        started = time.monotonic()
        if how == "sigterm":
            proc.send_signal(signal.SIGTERM)  # log-out, `kill`: closes the window without questions
        _out, err = proc.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "QThread: Destroyed" not in err, err
    assert proc.returncode == 0, err
    assert took < 8, f"quitting took {took:.1f} s"  # 3 s for the stuck threads + start-up noise on a busy machine
    assert "last_page=model" in (home / "settings.ini").read_text()  # the settings were written before the exit
    log = (home / "logs" / "mlxstudio.log").read_text()
    assert "did not stop in time" in log and "exiting at once" in log  # the log was flushed before os._exit
    assert not (home / "logs" / "crash.log").read_text().count("Fatal")
