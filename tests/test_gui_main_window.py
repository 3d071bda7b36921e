"""The main window: navigation and its enable rules, placeholders, menus, drag & drop, settings, close, start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import pytest
from gui_helpers import shot
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QWidget

from mlxstudio.gui import main_window, settings
from mlxstudio.gui.main_window import MainWindow, Placeholder, route_for
from mlxstudio.gui.state import AppState, StepStatus

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.usefixtures("no_dangling_jobs")


class FakePage(QWidget):
    """A page with the whole optional protocol, recording what the window asks."""

    instances: ClassVar[list[FakePage]] = []
    allow_close = True

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.opened: list[Path] = []
        self.calls: list[str] = []
        FakePage.instances.append(self)

    def open_path(self, path: Path) -> bool:
        self.opened.append(Path(path))
        return True

    def can_close(self) -> bool:
        self.calls.append("can_close")
        return FakePage.allow_close

    def shutdown(self) -> None:
        self.calls.append("shutdown")

    def install_menus(self, window: MainWindow) -> None:
        self.calls.append("install_menus")
        window.menu("Edit").addAction(window.action("Fake Undo", lambda: None, QKeySequence.StandardKey.Undo))
        window.menu("File").addAction(window.action("Fake Export…", lambda: None))  # as Fuse & Test adds exports

    def save_settings(self, s) -> None:
        s.setValue("fake/value", 42)

    def restore_settings(self, s) -> None:
        self.calls.append(f"restore:{s.value('fake/value', 0, type=int)}")


class BrokenPage(QWidget):
    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        raise RuntimeError("boom in the page constructor")


@pytest.fixture
def fake_pages(monkeypatch: pytest.MonkeyPatch):
    FakePage.instances = []
    FakePage.allow_close = True
    me = __name__
    monkeypatch.setattr(main_window, "PAGES", [("model", f"{me}:FakePage"), ("data", f"{me}:FakePage"),
                                               ("train", f"{me}:FakePage"), ("test", f"{me}:FakePage")])
    return FakePage


def make_window(qtbot, state: AppState | None = None) -> MainWindow:
    w = MainWindow(state or AppState(), load_all=True)
    qtbot.addWidget(w)
    w.show()
    return w


def test_navigation_follows_the_inputs(qtbot, fake_pages) -> None:
    w = make_window(qtbot)
    st, nav = w.state, w.navigator
    assert w.current_step() == "model"
    assert [nav.item(s).isEnabled() for s in ("model", "data", "train", "test")] == [True, False, False, False]
    assert not nav.next_button.isEnabled() and "Choose a model" in nav.next_button.toolTip()
    assert "Choose a model" in nav.item("data").toolTip()
    assert not w.show_page("data") and w.current_step() == "model"

    st.set_model(Path("/models/m"))
    assert nav.item("data").isEnabled() and nav.next_button.isEnabled()
    assert nav.next_button.text() == "Next: Data"
    nav.set_next("test", True)
    assert nav.next_button.text() == "Next: Fuse && Test"  # shows "Fuse & Test", not a mnemonic
    assert w.go_next() and w.current_step() == "data"
    assert w.stack.currentWidget() is w._hosts["data"]
    assert nav.item("data").is_current() and not nav.item("model").is_current()
    assert not nav.item("train").isEnabled() and not nav.next_button.isEnabled()

    st.set_dataset(Path("/data/train.jsonl"))
    assert nav.item("train").isEnabled()
    assert not nav.item("test").isEnabled()
    assert w.go_next() and w.current_step() == "train"
    st.set_adapter(Path("/runs/r1/adapter"))
    assert nav.item("test").isEnabled()
    w._step_actions["test"].trigger()  # Window → 4 Fuse & Test (Ctrl+4)
    assert w.current_step() == "test"
    assert not nav.next_button.isVisible()

    # jumping back is always allowed, even when an input disappears
    st.set_model(None)
    st.set_dataset(None)
    assert nav.item("model").isEnabled() and nav.item("data").isEnabled() and nav.item("train").isEnabled()
    qtbot.mouseClick(nav.item("model"), Qt.MouseButton.LeftButton)
    assert w.current_step() == "model"
    assert not nav.item("data").isEnabled()  # and forward is closed again
    assert w._step_actions["model"].isChecked() and not w._step_actions["data"].isEnabled()


def test_step_status_shows_in_navigator_and_status_bar(qtbot, fake_pages) -> None:
    w = make_window(qtbot)
    w.state.set_step("model", StepStatus(ready=True, summary="SmolLM2-135M-Instruct · 4-bit · 98 MB"))
    item = w.navigator.item("model")
    assert item.summary_label.full_text() == "SmolLM2-135M-Instruct · 4-bit · 98 MB"
    shown = item.summary_label.text()  # lines that break only at the " · ", each within the label
    assert shown.replace("\n", " · ") == "SmolLM2-135M-Instruct · 4-bit · 98 MB", shown
    assert all(item.summary_label.fontMetrics().horizontalAdvance(line) <= item.summary_label.contentsRect().width()
               for line in shown.splitlines())
    assert item.status_label.pixmap() is not None and not item.status_label.pixmap().isNull()
    assert not item.progress.isVisible()

    w.state.set_step("train", StepStatus(summary="it 34/60", busy=True, progress=34 / 60))
    train = w.navigator.item("train")
    assert train.isEnabled()  # a running job's step can always be reached
    assert train.progress.isVisible() and train.progress.value() == round(1000 * 34 / 60)
    assert w.status.job_label.isVisible() and w.status.job_label.text() == "Train — it 34/60"
    assert w.status.job_progress.value() == round(1000 * 34 / 60)
    w.state.set_step("train", StepStatus(ready=True, summary="60 it · val 0.01"))
    assert not w.status.job_label.isVisible() and not train.progress.isVisible()
    assert not train.isEnabled()  # done, and its input (model + dataset) is still missing

    assert w.status.model_label.text() == "Model: none chosen"
    w.state.set_model(Path("/lib/SmolLM2-135M-Instruct"))
    assert w.status.model_label.text() == "Model: SmolLM2-135M-Instruct"


def test_backend_detected_off_the_gui_thread(qtbot, fake_pages) -> None:
    w = make_window(qtbot)
    assert w.status.backend_label.text().startswith("Backend: ")
    with qtbot.waitSignal(w.status.backend_detected, timeout=60_000) as blocker:
        w.status.detect_backend()
    info = blocker.args[0]
    assert info.name in ("CPU", "Metal", "CUDA")
    assert w.status.backend_label.text() == f"Backend: {info.summary()}"
    if info.name == "CPU":
        assert "OpenBLAS" in w.status.backend_label.text()


class PreparingPage(FakePage):
    """A page that makes the next step's input when Next is pressed (as the Data page saves its split)."""

    ok = True

    def can_prepare_next(self) -> bool:
        return True

    def prepare_next(self) -> bool:
        self.calls.append("prepare_next")
        if PreparingPage.ok:
            self.state.set_dataset(Path("/data/split"))
        return PreparingPage.ok


def test_next_lets_the_page_prepare_the_next_step(qtbot, monkeypatch) -> None:
    me = __name__
    monkeypatch.setattr(main_window, "PAGES", [("model", f"{me}:FakePage"), ("data", f"{me}:PreparingPage"),
                                               ("train", f"{me}:FakePage"), ("test", f"{me}:FakePage")])
    w = make_window(qtbot)
    w.state.set_model(Path("/lib/m"))
    assert w.show_page("data")
    nav = w.navigator
    assert nav.next_button.isEnabled() and not nav.item("train").isEnabled()  # no dataset yet, but Next makes it
    PreparingPage.ok = False
    try:
        qtbot.mouseClick(nav.next_button, Qt.MouseButton.LeftButton)
        assert w.current_step() == "data" and w.state.dataset is None  # the page said no: it stays
    finally:
        PreparingPage.ok = True
    qtbot.mouseClick(nav.next_button, Qt.MouseButton.LeftButton)
    assert w.current_step() == "train" and w.state.dataset == Path("/data/split")
    assert w.page("data").calls.count("prepare_next") == 2
    assert w.show_page("data") and w.page("data").calls.count("prepare_next") == 2  # going back asks nothing


def test_window_detects_the_backend_by_itself(qtbot, fake_pages) -> None:
    """A window made without app.main (tests, scripts, an embedding app) still leaves "checking…" by itself."""
    w = MainWindow(AppState())
    qtbot.addWidget(w)
    with qtbot.waitSignal(w.status.backend_detected, timeout=60_000):
        w.show()
    assert "checking" not in w.status.backend_label.text()
    assert w.status.backend_label.text() == f"Backend: {w.status.backend_info.summary()}"


def test_shortcuts_work_from_the_keyboard(qtbot, fake_pages) -> None:
    w = make_window(qtbot)
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow, timeout=2000)
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert w.current_step() == "model"  # Data is closed until a model is chosen
    w.state.set_model(Path("/lib/m"))
    qtbot.keyClick(w, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert w.current_step() == "data"
    qtbot.keyClick(w, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert w.current_step() == "model"
    qtbot.keyClick(w, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert "preferences" in w._dialogs
    w._dialogs["preferences"].close()
    qtbot.waitUntil(lambda: "preferences" not in w._dialogs, timeout=2000)


def test_missing_or_broken_pages_show_placeholders(qtbot, monkeypatch) -> None:
    me = __name__
    monkeypatch.setattr(main_window, "PAGES", [("model", f"{me}:FakePage"), ("data", "mlxstudio.gui.pages.nope:X"),
                                               ("train", f"{me}:NoSuchClass"), ("test", f"{me}:BrokenPage")])
    w = make_window(qtbot)
    assert isinstance(w.page("model"), FakePage)
    for step in ("data", "train", "test"):
        assert w.page(step) is None
        found = w._hosts[step].findChild(Placeholder)
        assert found is not None
        assert found.error == (step == "test")
    w.show_page("test", force=True)
    shot(w, "placeholder-error")
    w.show_page("data", force=True)
    shot(w, "placeholder")
    texts = [lbl.text() for lbl in w._hosts["test"].findChildren(QLabel)]
    assert any("boom in the page constructor" in t for t in texts)


def test_pages_load_lazily_after_start(qtbot, fake_pages) -> None:
    w = MainWindow(AppState())
    qtbot.addWidget(w)
    assert isinstance(w._pages["model"], FakePage)
    assert len(FakePage.instances) == 1  # only the page on screen at first
    qtbot.waitUntil(lambda: len(FakePage.instances) == 4, timeout=5000)
    assert all("install_menus" in p.calls for p in FakePage.instances)


def test_menus_and_shortcuts(qtbot, fake_pages) -> None:
    w = make_window(qtbot)
    assert w.preferences_action.shortcut() == QKeySequence("Ctrl+,")
    assert w.preferences_action.menuRole() == QAction.MenuRole.PreferencesRole
    assert w.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    assert w.quit_action.menuRole() == QAction.MenuRole.QuitRole
    assert w.about_action.menuRole() == QAction.MenuRole.AboutRole
    assert w.open_dataset_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert w.minimize_action.shortcut() == QKeySequence("Ctrl+M")
    assert QKeySequence("Ctrl+W") in w.close_action.shortcuts()  # Cmd+W on a Mac; Linux binds Ctrl+F4 first
    assert [w._step_actions[s].shortcut().toString() for s in ("model", "data", "train", "test")] == \
        ["Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4"]
    titles = [a.text() for a in w.menuBar().actions() if a.isVisible()]
    assert titles == ["&File", "&Edit", "&Window", "&Help"]  # Edit shows because a page added Undo to it
    assert any(a.text() == "Fake Undo" for a in w.menu("Edit").actions())
    assert w.menu("View") is w.menu("View")
    assert [a.text() for a in w.menuBar().actions()][-3:] == ["&View", "&Window", "&Help"]
    # what pages add to File goes above Close Window / Preferences… / Quit, which stay last
    w.load_all_pages()
    texts = [a.text() for a in w.menu("File").actions()]
    assert texts[-5:] == ["", "Close Window", "Preferences…", "", "Quit MLX Studio"], texts
    assert texts.count("Fake Export…") == 4 and texts.index("Fake Export…") < texts.index("Close Window")


def test_routing_by_extension(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "adapter_config.json").write_text("{}")
    assert route_for(tmp_path / "x.gguf") == "model"
    assert route_for(tmp_path / "X.JSONL") == "data"
    assert route_for(tmp_path / "x.csv") == "data"
    assert route_for(tmp_path / "m") == "model"
    assert route_for(tmp_path / "a") == "test"
    assert route_for(tmp_path / "x.txt") is None
    assert route_for(tmp_path) is None


def _drop(w: MainWindow, paths: list[Path]) -> tuple[bool, bool]:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    enter = QDragEnterEvent(QPoint(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    w.dragEnterEvent(enter)
    drop = QDropEvent(QPointF(50, 50), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    w.dropEvent(drop)
    return enter.isAccepted(), drop.isAccepted()


@pytest.mark.filterwarnings("ignore:Function.*QDragEnterEvent.*deprecated:DeprecationWarning")
def test_drag_and_drop_routes_files_to_pages(qtbot, fake_pages, tmp_path: Path) -> None:
    w = make_window(qtbot)
    gguf, jsonl, txt = tmp_path / "m.gguf", tmp_path / "train.jsonl", tmp_path / "notes.txt"
    for p in (gguf, jsonl, txt):
        p.write_text("x")
    model_page, data_page = w.page("model"), w.page("data")

    assert _drop(w, [jsonl]) == (True, True)
    assert data_page.opened == [jsonl] and w.current_step() == "data"
    assert _drop(w, [gguf]) == (True, True)
    assert model_page.opened == [gguf] and w.current_step() == "model"
    assert _drop(w, [txt]) == (False, False)  # refused while dragging: nothing opens
    assert model_page.opened == [gguf] and data_page.opened == [jsonl]
    assert w.open_path(txt) is False
    assert "can't open notes.txt" in w.status.currentMessage()
    # opened files go to File → Open Recent, newest first
    assert settings.recent_files() == [gguf.resolve(), jsonl.resolve()]
    w._fill_recent()
    assert [a.text() for a in w.recent_menu.actions()][:2] == ["m.gguf", "train.jsonl"]


def test_settings_restored_in_a_second_window(qtbot, fake_pages, tmp_path: Path) -> None:
    model = tmp_path / "lib-model"
    model.mkdir()
    w = make_window(qtbot)
    w.resize(760, 560)  # the offscreen screen is 800x800: stay inside it
    w.splitter.setSizes([240, 520])
    w.state.set_model(model)
    assert w.show_page("data")
    nav_width = w.splitter.sizes()[0]
    w.close()
    assert "shutdown" in FakePage.instances[0].calls and "can_close" in FakePage.instances[0].calls

    FakePage.instances = []
    w2 = make_window(qtbot)
    assert (w2.width(), w2.height()) == (760, 560)
    assert w2.splitter.sizes()[0] == nav_width
    assert w2.state.model == model  # the active model is remembered
    assert w2.current_step() == "data"  # …so the last page (Data) is reachable and shown
    assert all("restore:42" in p.calls for p in FakePage.instances)
    w2.close()

    # a remembered page whose input is gone falls back to the last reachable step
    import shutil

    shutil.rmtree(model)
    w3 = make_window(qtbot)
    assert w3.state.model is None and w3.current_step() == "model"


def test_typed_settings_survive_garbage(qtbot) -> None:
    s = settings.qsettings()
    s.setValue(settings.MEMORY_BATCH.key, "not a number")
    s.setValue(settings.LAST_PAGE.key, "train")
    s.sync()
    assert settings.MEMORY_BATCH.get() == settings.MEMORY_BATCH.default
    assert settings.LAST_PAGE.get() == "train"
    settings.MEMORY_BATCH.set(8)
    assert settings.MEMORY_BATCH.get() == 8 and isinstance(settings.MEMORY_BATCH.get(), int)
    settings.MEMORY_BATCH.reset()
    assert settings.MEMORY_BATCH.get() == 4


def test_close_asks_every_page_first(qtbot, fake_pages) -> None:
    w = make_window(qtbot)
    FakePage.allow_close = False
    assert not w.close()
    assert w.isVisible()
    assert not any("shutdown" in p.calls for p in FakePage.instances)
    FakePage.allow_close = True
    assert w.close()
    assert all("shutdown" in p.calls for p in FakePage.instances)


def test_about_and_preferences(qtbot, fake_pages) -> None:
    from mlxstudio.gui.about import AboutDialog
    from mlxstudio.gui.preferences import PreferencesDialog

    w = make_window(qtbot)
    about = AboutDialog(None, w)
    qtbot.addWidget(about)
    rows = dict(about.rows())
    assert {"MLX Studio", "mlx", "mlx-lm", "Qt", "Compute backend"} <= set(rows)
    assert rows["mlx"][0].isdigit() and rows["mlx-lm"][0].isdigit()
    assert "checking" in rows["Compute backend"]
    from mlxstudio.core.runtime.backend import BackendInfo

    about.set_backend(BackendInfo("CPU", "OpenBLAS on (x)", "float32", False, "CPU backend."))
    assert "CPU · OpenBLAS on" in about.text()

    prefs = PreferencesDialog(w)
    qtbot.addWidget(prefs)
    prefs.token.setText("hf_secret")
    prefs.hf_endpoint.setText("not a url")
    prefs.accept()
    assert prefs.error.isVisibleTo(prefs) and "not a web address" in prefs.error.text()
    assert settings.HF_TOKEN.get() == ""  # nothing stored while a value is wrong
    prefs.hf_endpoint.setText("http://127.0.0.1:8765/")
    prefs.default_hub.setCurrentIndex(prefs.default_hub.findData("huggingface"))
    prefs.accept()
    assert settings.HF_TOKEN.get() == "hf_secret"
    assert settings.HUGGINGFACE_ENDPOINT.get() == "http://127.0.0.1:8765"
    assert settings.DEFAULT_HUB.get() == "huggingface"
    assert oct(settings.settings_file().stat().st_mode & 0o777) == "0o600"


def test_app_args_drop_the_macos_psn_argument() -> None:
    from mlxstudio.gui.app import main, parse_args, strip_macos_args

    assert strip_macos_args(["-psn_0_1234", "a.jsonl"]) == ["a.jsonl"]
    args, qt_args = parse_args(["-psn_0_1234", "a.jsonl", "-reverse"])
    assert args.files == [Path("a.jsonl")]
    assert qt_args == ["-reverse"]
    assert main(["--version"]) == 0


def test_app_starts_without_importing_mlx(tmp_path: Path) -> None:
    """`python -m mlxstudio` shows the window without importing MLX (the start-up probe quits at once), with the
    garbage collector confined to the GUI thread (gui/collector.py)."""
    env = {**os.environ, "MLXSTUDIO_STARTUP_PROBE": "1", "QT_QPA_PLATFORM": "offscreen",
           "MLXSTUDIO_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "mlxstudio"], env=env, capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    probe = json.loads(next(line for line in out.stdout.splitlines() if line.startswith("{")))
    assert probe["mlx_imported"] is False
    assert probe["gc_on_gui_thread"] is True  # issue 15: collection only on the GUI thread, from before the window
    # a native crash would leave its traceback here (faulthandler is on from the first line of main)
    assert (tmp_path / "logs" / "crash.log").read_text().startswith("--- ")
