"""Fuse & Test after training: the Serve panel (a real mlx-lm server, asked with urllib), the hand-offs to LM Studio and
Ollama (fake app folder, fake ``ollama`` on PATH), the keep-awake + notification hooks of long jobs, the
notifications preference, and the macOS menu conventions. Screenshots go to /tmp/shots24 for looking at."""

from __future__ import annotations

import json
import os
import threading
import urllib.request
from pathlib import Path
from typing import Any, ClassVar

import pytest
from lora_helpers import make_random_adapter
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from test_handoff import fake_ollama

from mlxstudio.core.inference.fuse import fuse_adapter
from mlxstudio.core.inference.serve import running_servers
from mlxstudio.gui import activity, jobs, notify, qworker, settings
from mlxstudio.gui.main_window import MainWindow
from mlxstudio.gui.pages.test_page import TestPage
from mlxstudio.gui.preferences import PreferencesDialog
from mlxstudio.gui.state import AppState
from mlxstudio.gui.test import serve_panel

SHOTS = Path("/tmp/shots24")
WAIT = 120_000


def snap(widget: QWidget, name: str) -> None:
    """Save a screenshot for looking at (after pending layout)."""
    for _ in range(10):
        QApplication.processEvents()
        threading.Event().wait(0.02)
    SHOTS.mkdir(exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


@pytest.fixture(autouse=True)
def _clean() -> Any:
    yield
    qworker.await_workers(10)
    jobs.wait_all(10_000)
    activity.release_all()
    assert running_servers() == []


@pytest.fixture
def adapter(tiny_model: Path, tmp_path: Path) -> Path:
    return make_random_adapter(tiny_model, tmp_path / "runs" / "run-1", num_layers=1)


@pytest.fixture
def page(qtbot, tiny_model: Path, adapter: Path) -> TestPage:
    state = AppState()
    state.set_model(tiny_model)
    state.set_adapter(adapter)
    p = TestPage(state)
    qtbot.addWidget(p)
    p.resize(1100, 760)
    p.show()
    return p


# -- serve ------------------------------------------------------------------------------------------------------
def test_serve_panel_starts_answers_copies_and_stops(qtbot, page: TestPage, tiny_model: Path) -> None:
    panel = page.serve
    assert not panel.isVisible()
    page.serve_button.setChecked(True)
    assert panel.isVisible() and panel.start_button.isEnabled()
    assert panel.state_label.text() == serve_panel.IDLE_TEXTS[0]
    assert [panel.source.itemData(i) for i in range(panel.source.count())] == ["tuned", "base"]
    panel.port.setValue(18231)
    snap(page, "serve-idle")
    panel.start_button.click()
    assert "Starting" in panel.state_label.text() and panel.start_button.text() == "Stop Server"
    qtbot.waitUntil(lambda: panel.serving, timeout=WAIT)
    shown = panel.status_summary()
    assert shown["url"] == "http://127.0.0.1:18231/v1" and shown["model"] == "tiny-llama-run-1"
    assert shown["curl"].startswith("curl http://127.0.0.1:18231/v1/chat/completions")
    snap(page, "serve-running")
    page.resize(1024, 700)
    snap(page, "serve-running-1024x700")
    snap(panel, "serve-running-panel")
    body = json.dumps({"model": shown["model"], "max_tokens": 4,
                       "messages": [{"role": "user", "content": "hello"}]}).encode()
    req = urllib.request.Request(f"{shown['url']}/chat/completions", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        assert json.loads(resp.read())["object"] == "chat.completion"
    assert panel.copy("curl") == QGuiApplication.clipboard().text() == shown["curl"]
    server = panel.server
    assert server is not None and server.adapter is not None
    panel.start_button.click()
    assert not server.running and not panel.serving and panel.state_label.text() == "Stopped."
    assert panel.start_button.text() == "Start Server" and not panel.details.isVisible()


def test_serve_applies_the_thinking_switch_and_stops_with_the_page(qtbot, page: TestPage,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[dict[str, Any]] = []

    class FakeServer:
        def __init__(self, model: Path, adapter: Path | None, **kw: Any) -> None:
            started.append({"model": model, "adapter": adapter, **kw})
            self.stopped = False
            self.running = True

        def start(self) -> FakeServer:
            return self

        def wait_ready(self, cancel: Any = None) -> Any:
            while not cancel():
                threading.Event().wait(0.05)
            raise serve_panel.errors.Cancelled("stop")

        def stop(self) -> None:
            self.stopped = True
            self.running = False

    monkeypatch.setattr(serve_panel, "ServerProcess", FakeServer)
    panel = page.serve
    panel.set_sources(panel.model, panel.adapter, None, enable_thinking=False)
    assert panel.start()
    assert started[0]["enable_thinking"] is False and started[0]["adapter"] == panel.adapter
    server = panel.server
    page.shutdown()  # the app closes while the model still loads
    assert server is not None and server.stopped and panel.server is None and panel.job is None


def test_serve_says_when_the_port_is_taken(qtbot, page: TestPage) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        page.serve_button.setChecked(True)
        page.serve.port.setValue(s.getsockname()[1])
        assert page.serve.start() is False
    assert "in use" in page.serve.state_label.text() and page.serve.server is None


# -- hand-offs --------------------------------------------------------------------------------------------------
@pytest.fixture
def fused(tiny_model: Path, adapter: Path, tmp_path: Path) -> Path:
    return fuse_adapter(tiny_model, adapter, tmp_path / "lib" / "tiny-run-1")


def test_handoff_to_lmstudio_and_ollama(qtbot, page: TestPage, fused: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", staticmethod(lambda *a, **k: told.append(str(a[2]))))
    h = page.handoff
    h.need_fused = lambda: fused
    h.lmstudio_home = tmp_path / "home"
    page.lmstudio_action.trigger()  # LM Studio never started here
    assert told and "LM Studio is not installed" in told[-1]
    (tmp_path / "home" / ".lmstudio" / "models").mkdir(parents=True)
    h.prefer_mlx = True  # a Mac: the MLX folder itself
    page.lmstudio_action.trigger()
    target = tmp_path / "home" / ".lmstudio" / "models" / "mlxstudio" / "tiny-run-1"
    assert (target / "config.json").is_symlink() and "LM Studio's library" in page.status.text()
    h.prefer_mlx = False  # elsewhere LM Studio needs a GGUF: exported first (in the worker), then linked
    page.lmstudio_action.trigger()
    qtbot.waitUntil(lambda: not h.busy, timeout=WAIT)
    assert [p.suffix for p in target.iterdir()] == [".gguf"], page.status.text()
    snap(page.export_button.menu(), "handoff-menu")

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr("mlxstudio.core.inference.handoff.sys.platform", "linux")
    page.ollama_action.trigger()
    assert "Ollama is not installed" in told[-1]
    fake_ollama(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    monkeypatch.setenv("OLLAMA_FAKE_LOG", str(tmp_path / "calls.txt"))
    page.ollama_action.trigger()  # the GGUF + Modelfile from before are reused
    qtbot.waitUntil(lambda: not h.busy, timeout=WAIT)
    assert h.last_result.get("name") == "tiny-run-1", h.last_result
    assert (tmp_path / "calls.txt").read_text().startswith("create tiny-run-1 -f Modelfile")
    assert h.dialog is not None and "success" in h.dialog.output.toPlainText()
    assert "ollama run tiny-run-1" in h.dialog.head.text()
    snap(h.dialog, "handoff-ollama-dialog")
    snap(page, "handoff-page-status")
    h.dialog.close()


# -- long jobs: keep awake, notify --------------------------------------------------------------------------------
class FakeAwake:
    made: ClassVar[list[FakeAwake]] = []

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.held = False
        FakeAwake.made.append(self)

    def hold(self) -> bool:
        self.held = True
        return True

    def release(self) -> None:
        self.held = False


@pytest.fixture
def window(qtbot) -> QWidget:
    w = QWidget()
    w.setObjectName("main-window")  # what activity looks for: a visible main window (not quitting)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[notify.Sent]:
    FakeAwake.made.clear()
    monkeypatch.setattr(activity, "make_keep_awake", FakeAwake)
    monkeypatch.setattr(notify, "app_in_front", lambda: False)
    delivered: list[notify.Sent] = []
    monkeypatch.setattr(notify.Notifier, "_deliver", lambda self, s, failed: delivered.append(s))
    return delivered


def test_a_download_keeps_awake_and_notifies(qtbot, window: QWidget, sent: list[notify.Sent]) -> None:
    gate = threading.Event()
    job = jobs.FunctionJob("Download of Qwen/Qwen3-0.6B", lambda sink, cancel: gate.wait(20) and {"ok": 1})
    job.start()
    assert activity.awake_held() and FakeAwake.made[0].reason == "The download in MLX Studio"
    gate.set()
    qtbot.waitUntil(lambda: not activity.running_kinds(), timeout=10_000)
    assert not FakeAwake.made[0].held and not activity.awake_held()
    assert [s.title for s in sent] == ["The download finished"]
    assert notify.notifier().unseen == 1
    job.deleteLater()


def test_a_failed_worker_job_releases_and_notifies(qtbot, window: QWidget, sent: list[notify.Sent],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(activity.JOB_TITLES, "selftest", "Training")
    w = qworker.WorkerThread("selftest", {"steps": 2, "fail": "user"})
    w.start()
    assert activity.awake_held()
    qtbot.waitUntil(w.isFinished, timeout=WAIT)
    qtbot.waitUntil(lambda: not activity.awake_held(), timeout=10_000)
    assert sent and sent[-1].title == "Training failed" and "user-fixable" in sent[-1].body


def test_notifications_follow_the_window_and_the_setting(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    n = notify.Notifier()
    delivered: list[notify.Sent] = []
    monkeypatch.setattr(notify.Notifier, "_deliver", lambda self, s, failed: delivered.append(s))
    monkeypatch.setattr(notify, "app_in_front", lambda: True)
    assert n.notify("Training finished", "60 it").channel == "foreground" and not delivered
    monkeypatch.setattr(notify, "app_in_front", lambda: False)
    assert n.notify("Training finished", "60 it").channel in {"tray", "osascript", "none"} and len(delivered) == 1
    assert n.unseen == 1
    settings.NOTIFICATIONS.set(False)
    assert n.notify("Training finished", "60 it").channel == "off" and len(delivered) == 1
    n._state_changed(notify.Qt.ApplicationState.ApplicationActive)  # back in front: the badge clears
    assert n.unseen == 0


def test_osascript_command_quotes() -> None:
    cmd = notify.osascript_command('Training "run-1" finished', "loss 0.01 \\ ok")
    assert cmd[:2] == ["osascript", "-e"]
    assert cmd[2] == 'display notification "loss 0.01 \\\\ ok" with title "Training \\"run-1\\" finished"'


def test_preferences_turn_notifications_off(qtbot) -> None:
    dlg = PreferencesDialog()
    qtbot.addWidget(dlg)
    dlg.show()
    snap(dlg, "preferences-notifications")
    assert dlg.notifications.isChecked()
    dlg.notifications.setChecked(False)
    dlg.accept()
    assert settings.NOTIFICATIONS.get() is False


# -- macOS menu conventions ------------------------------------------------------------------------------------------
def _heuristic_match(text: str) -> bool:
    """Qt's TextHeuristicRole on macOS moves such items into the application menu."""
    t = text.replace("&", "").lower()
    return t.startswith(("about", "quit", "exit")) or any(w in t for w in ("config", "options", "setup",
                                                                            "settings", "preferences"))


def test_macos_menu_conventions(qtbot) -> None:
    w = MainWindow(AppState(), load_all=True)
    qtbot.addWidget(w)
    assert w.about_action.menuRole() == QAction.MenuRole.AboutRole
    assert w.preferences_action.menuRole() == QAction.MenuRole.PreferencesRole
    assert w.preferences_action.shortcut().toString() == "Ctrl+,"
    assert w.quit_action.menuRole() == QAction.MenuRole.QuitRole
    titles = [a.text().replace("&", "") for a in w.menuBar().actions()]
    assert titles[-2:] == ["Window", "Help"]
    window_items = [a.text() for a in w.menu("Window").actions() if not a.isSeparator()]
    assert window_items[:2] == ["Minimize", "Zoom"]
    help_items = [a.text() for a in w.menu("Help").actions() if not a.isSeparator()]
    assert help_items[:2] == ["Show Log", "Show Crash Logs"]
    special = {w.about_action, w.preferences_action, w.quit_action}

    def walk(menu: Any) -> list[QAction]:
        found = []
        for a in menu.actions():
            found.append(a)
            if a.menu() is not None:
                found += walk(a.menu())
        return found

    for a in [a for m in w.menuBar().actions() if m.menu() for a in walk(m.menu())]:
        if a in special or a.isSeparator():
            continue
        # nothing else may be moved into the application menu by the text heuristic
        assert a.menuRole() == QAction.MenuRole.NoRole or not _heuristic_match(a.text()), a.text()


def test_the_server_stops_when_the_window_closes(qtbot, tiny_model: Path, adapter: Path) -> None:
    state = AppState()
    state.set_model(tiny_model)
    state.set_adapter(adapter)
    w = MainWindow(state, load_all=True)
    qtbot.addWidget(w)
    page = w.page("test")
    assert isinstance(page, TestPage)
    page.serve.port.setValue(18232)
    assert page.serve.start()
    qtbot.waitUntil(lambda: page.serve.serving, timeout=WAIT)
    server = page.serve.server
    assert server is not None and server.running
    w.close()
    assert not server.running and running_servers() == []


def test_a_server_that_dies_is_reported(qtbot, page: TestPage) -> None:
    panel = page.serve
    page.serve_button.setChecked(True)
    panel.port.setValue(18233)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.serving, timeout=WAIT)
    assert panel.server is not None and panel.server.proc is not None
    panel.server.proc.kill()
    qtbot.waitUntil(lambda: "stopped by itself" in panel.state_label.text(), timeout=10_000)
    assert panel.server is None and panel.start_button.text() == "Start Server" and panel.start_button.isEnabled()
