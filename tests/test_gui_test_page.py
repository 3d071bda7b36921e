"""Fuse & Test page with the tiny model: streaming panes fill (same text as the engine), Stop works, the batch
evaluation table fills, fusing adds a library model and a third pane, a mismatched adapter is refused, exports."""

from __future__ import annotations

import itertools
import shutil
import zipfile
from pathlib import Path

import pytest
from gui_helpers import shot
from lora_helpers import make_random_adapter
from PySide6.QtCore import QSize
from PySide6.QtGui import QColor, QIcon, QImage, QPalette
from PySide6.QtWidgets import QApplication
from tiny_model import make_tiny_model

from mlxstudio.core import events as ev
from mlxstudio.core import paths
from mlxstudio.core.inference.generate import Generator
from mlxstudio.gui import qworker
from mlxstudio.gui.main_window import MainWindow
from mlxstudio.gui.pages.test_page import TestPage
from mlxstudio.gui.state import AppState
from mlxstudio.gui.test.eval_panel import DiffView, diff_html
from mlxstudio.gui.test.fuse_dialog import FuseDialog, default_fused_name

WAIT = 60_000  # ms: a worker process starts Python + MLX and loads the models


@pytest.fixture(autouse=True)
def _no_dangling_workers():
    yield
    left = qworker.running_workers()
    qworker.await_workers(10)
    assert not left, f"test left workers running: {left}"


@pytest.fixture
def adapter(tiny_model: Path, tmp_path: Path) -> Path:
    return make_random_adapter(tiny_model, tmp_path / "runs" / "run-1", num_layers=1)


@pytest.fixture
def page(qtbot, tiny_model: Path, adapter: Path, seed_data: Path) -> TestPage:
    state = AppState()
    state.set_model(tiny_model)
    state.set_dataset(seed_data)
    state.set_adapter(adapter)
    p = TestPage(state)
    qtbot.addWidget(p)
    p.resize(1100, 760)
    return p


def test_empty_state(qtbot) -> None:
    page = TestPage(AppState())
    qtbot.addWidget(page)
    page.show()
    assert page.empty.isVisible() and not page.splitter.isVisible()
    assert not page.fuse_button.isEnabled()
    assert "step 1" in page.empty.text()


def test_side_by_side_streams_the_engine_answers(qtbot, page: TestPage, tiny_model: Path, adapter: Path) -> None:
    cmp = page.compare
    assert cmp.dataset_prompts.count() == 6  # header + the five seed prompts
    cmp.dataset_prompts.activated.emit(4)  # 蓝牙耳机坏了应该看什么科
    assert cmp.prompt.toPlainText() == "蓝牙耳机坏了应该看什么科"
    assert "耳鼻喉科" in cmp.expected.text()
    cmp.max_tokens.setValue(12)
    tokens: list[ev.Token] = []
    with qtbot.waitSignal(cmp.busy_changed, timeout=5000):
        cmp.generate()
    cmp.worker.core_event.connect(lambda e: tokens.append(e) if isinstance(e, ev.Token) else None)
    qtbot.waitUntil(lambda: not cmp.busy, timeout=WAIT)
    base = Generator(tiny_model).generate("蓝牙耳机坏了应该看什么科", max_tokens=12)
    tuned = Generator(tiny_model, adapter).generate("蓝牙耳机坏了应该看什么科", max_tokens=12)
    assert cmp.panes["base"].answer() == base
    assert cmp.panes["tuned"].answer() == tuned
    assert {t.source for t in tokens} == {"base", "tuned"}
    assert "tok/s" in cmp.panes["tuned"].stats.text()
    assert cmp.panes["base"].tokens == 12


def test_stop_ends_generation_early(qtbot, page: TestPage) -> None:
    cmp = page.compare
    cmp.prompt.setPlainText("hello world")
    cmp.max_tokens.setValue(8000)
    cmp.temperature.setValue(1.0)  # sampled text rarely hits the end token
    cmp.generate()
    qtbot.waitUntil(lambda: cmp.panes["base"].tokens > 0, timeout=WAIT)
    with qtbot.waitSignal(cmp.worker.cancelled, timeout=WAIT):
        cmp.stop()
    qtbot.waitUntil(lambda: not cmp.busy, timeout=WAIT)
    assert 0 < cmp.panes["base"].tokens < 8000
    assert "stopped" in cmp.panes["base"].stats.text()
    assert cmp.generate_button.isEnabled() and not cmp.stop_button.isEnabled()


def test_batch_evaluation_fills_the_table(qtbot, page: TestPage, tmp_path: Path) -> None:
    ev_panel = page.evaluation
    ev_panel.max_tokens.setValue(4)
    assert ev_panel.run_button.isEnabled()
    with qtbot.waitSignal(ev_panel.result_ready, timeout=WAIT) as blocker:
        ev_panel.run()
    result = blocker.args[0]
    assert len(result.rows) == 5 and ev_panel.table_model.rowCount() == 5
    assert "tuned" in ev_panel.summary.text() and "base" in ev_panel.summary.text()
    assert ev_panel.table_model.rows[0].expected == "星期八"
    assert page.state.step("test").ready
    ev_panel.table.selectRow(3)
    assert "耳鼻喉科" in ev_panel.diff.toHtml()
    out = ev_panel.export(tmp_path / "eval.csv")
    assert out is not None and "星期八" in out.read_text(encoding="utf-8-sig")
    qtbot.waitUntil(lambda: not ev_panel.busy, timeout=WAIT)
    assert ev_panel.is_current()
    other = make_random_adapter(page.state.model, tmp_path / "runs" / "run-2", num_layers=1, seed=2)
    page.state.set_adapter(other)  # rows of run-1 stay for comparison, marked as not this adapter's
    assert ev_panel.table_model.rowCount() == 5 and not ev_panel.is_current()
    assert "These rows are from the adapter run-1" in ev_panel.summary.text()


def _broken_adapter(adapter: Path, tmp_path: Path) -> Path:
    broken = tmp_path / "broken-adapter"
    shutil.copytree(adapter, broken)
    (broken / "adapters.safetensors").write_bytes(b"not a safetensors file" * 10)
    return broken


def test_broken_adapter_base_still_answers(qtbot, page: TestPage, adapter: Path, tmp_path: Path) -> None:
    """An unreadable adapter is named on the page at once; Generate still runs the base model, the tuned pane says
    why it cannot answer (it used to fail the base pane with the adapter's error); the evaluation refuses to start."""
    page.state.set_adapter(_broken_adapter(adapter, tmp_path))
    assert "cannot be used" in page.status.text() and "Pick another adapter" in page.status.text()
    cmp = page.compare
    cmp.prompt.setPlainText("蓝牙耳机坏了应该看什么科")
    cmp.max_tokens.setValue(4)
    cmp.generate()
    assert [p["source"] for p in cmp.worker.params["panes"]] == ["base"]
    assert "not a readable .safetensors" in cmp.panes["tuned"].stats.toolTip()
    qtbot.waitUntil(lambda: not cmp.busy, timeout=WAIT)
    assert cmp.panes["base"].tokens == 4 and cmp.panes["base"].answer()
    page.evaluation.run()
    assert not page.evaluation.busy and "cannot be used" in page.evaluation.summary.text()


def test_fuse_into_library_adds_third_pane(qtbot, page: TestPage, tiny_model: Path, adapter: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    dialog = FuseDialog(tiny_model, adapter)
    qtbot.addWidget(dialog)
    assert dialog.name.text() == default_fused_name(tiny_model, adapter) == "tiny-llama-run-1"
    assert dialog.fuse_button.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=WAIT):
        dialog.start()
    assert dialog.fused_path == paths.models_dir() / "tiny-llama-run-1"
    assert (dialog.fused_path / "config.json").is_file()
    dialog.done(1)
    page.refresh()
    assert page.fused == dialog.fused_path
    assert not page.compare.panes["fused"].isHidden()
    assert [p["source"] for p in page.compare.pane_sources()] == ["base", "tuned", "fused"]


def test_mismatched_adapter_is_refused_in_the_dialog(qtbot, tiny_model: Path, tmp_path: Path) -> None:
    other = make_tiny_model(tmp_path / "other", hidden=32)
    foreign = make_random_adapter(other, tmp_path / "foreign")
    dialog = FuseDialog(tiny_model, foreign)
    qtbot.addWidget(dialog)
    assert dialog.problem and "does not fit" in dialog.problem
    assert not dialog.fuse_button.isEnabled()
    assert "cannot be fused" in dialog.note.text()
    dialog.show()
    qtbot.waitExposed(dialog)
    _assert_rows_do_not_overlap(dialog)
    shot(dialog, "test-fuse-dialog-refused")


def test_fuse_dialog_grows_with_its_progress(qtbot, tiny_model: Path, tmp_path: Path) -> None:
    """When fusing starts the progress bar and the status line appear: the dialog grows for them instead of
    squeezing the wrapped intro (its last line hid behind the name field)."""
    adapter = make_random_adapter(tiny_model, tmp_path / "runs" / "20261129-091704-a-long-run-folder-name-tiny",
                                  num_layers=1)
    dialog = FuseDialog(tiny_model, adapter)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    _assert_rows_do_not_overlap(dialog)
    dialog.progress.show()  # what start() shows, without running the fuse
    dialog._say("Loading the model and the adapter…")
    _assert_rows_do_not_overlap(dialog)
    dialog._say("<b>Fusing failed.</b><br>" + "A long explanation of what went wrong and what to do. " * 6)
    _assert_rows_do_not_overlap(dialog)


def _assert_rows_do_not_overlap(dialog: FuseDialog) -> None:
    QApplication.processEvents()
    intro = dialog.layout().itemAt(0).widget()
    rows = [w for w in (intro, dialog.name, dialog.progress, dialog.note, dialog.buttons) if w.isVisible()]
    for upper, lower in itertools.pairwise(rows):
        assert upper.geometry().bottom() < lower.geometry().top(), (upper, lower)
    assert dialog.note.height() >= dialog.note.heightForWidth(dialog.note.width())
    assert intro.height() >= intro.heightForWidth(intro.width())


def test_default_fused_name_does_not_repeat_the_model(tmp_path: Path) -> None:
    model = tmp_path / "SmolLM2-135M-Instruct"
    run = tmp_path / "runs" / "20261129-091704-SmolLM2-135M-Instruct"
    assert default_fused_name(model, run) == "SmolLM2-135M-Instruct-20261129-091704"
    assert default_fused_name(model, run / "checkpoints" / "0000040") == "SmolLM2-135M-Instruct-20261129-091704-it40"
    assert default_fused_name(model, tmp_path / "my-adapter") == "SmolLM2-135M-Instruct-my-adapter"


def test_export_adapter_zip(qtbot, page: TestPage, tmp_path: Path) -> None:
    with qtbot.waitSignal(page.busy_bar.windowIconChanged, timeout=100, raising=False):
        page.export("adapter", None, tmp_path / "adapter.zip")
    qtbot.waitUntil(lambda: page.export_worker is None, timeout=WAIT)
    assert zipfile.ZipFile(tmp_path / "adapter.zip").namelist()
    assert "adapter exported" in page.status.text()


class _MenuHost:
    """What ``install_menus`` needs of the main window: its menus by name."""

    def __init__(self) -> None:
        from PySide6.QtWidgets import QMenu

        self.file = QMenu("&File")

    def menu(self, name: str):
        assert name == "File"
        return self.file


def _file_exports(host: _MenuHost) -> dict[str, bool]:
    return {a.text(): a.isEnabled() for a in host.file.actions() if a.text().startswith("Export")}


def test_file_menu_exports_enabled_only_when_they_can_work(qtbot, tiny_model: Path, adapter: Path,
                                                          tmp_path: Path) -> None:
    state = AppState()
    page = TestPage(state)
    qtbot.addWidget(page)
    host = _MenuHost()
    page.install_menus(host)
    assert len(_file_exports(host)) == 3
    assert not any(_file_exports(host).values())  # nothing to export: no model, no adapter
    state.set_model(tiny_model)
    assert not any(_file_exports(host).values())  # a model but no adapter
    empty = tmp_path / "runs" / "empty-run"  # a run folder without adapters.safetensors
    empty.mkdir(parents=True)
    state.set_adapter(empty)
    assert not any(_file_exports(host).values())
    state.set_adapter(adapter)
    assert all(_file_exports(host).values())
    state.set_model(None)
    assert _file_exports(host) == {"Export Fused Model Folder…": False, "Export GGUF + Ollama Modelfile…": False,
                                   "Export Adapter…": True}  # the adapter alone needs no model
    state.set_model(tiny_model)
    page.export("adapter", None, tmp_path / "adapter.zip")
    assert not any(_file_exports(host).values())  # one export at a time
    qtbot.waitUntil(lambda: page.export_worker is None, timeout=WAIT)
    assert all(_file_exports(host).values())


def test_diff_html_marks_missing_and_extra() -> None:
    html = diff_html("今天星期一", "今天星期八", "Tuned")
    assert "<s" in html and "八" in html and "<u" in html and "一" in html


def _ink_lines(image: QImage, background: QColor) -> int:
    """How many separate bands of rows hold pixels that differ from ``background`` (lines of text)."""
    bands, inside = 0, False
    for y in range(image.height()):
        ink = any(abs(image.pixelColor(x, y).lightness() - background.lightness()) > 40
                  for x in range(2, image.width() - 2))
        if ink and not inside:
            bands += 1
        inside = ink
    return bands


def test_diff_hint_wraps_in_a_narrow_pane(qtbot) -> None:
    view = DiffView("Select a row to see how the answers differ from the expected one.")
    qtbot.addWidget(view)
    view.resize(200, 160)
    view.show()
    qtbot.waitExposed(view)
    viewport = view.viewport()
    image = viewport.grab().toImage()
    lines = _ink_lines(image, viewport.palette().color(QPalette.ColorRole.Base))
    assert lines >= 3, f"the hint is on {lines} line(s): cut off instead of wrapped"
    view.setHtml("<p>an answer</p>")
    assert _ink_lines(viewport.grab().toImage(), viewport.palette().color(QPalette.ColorRole.Base)) == 1


def _long_names(tiny_model: Path, seed_data: Path, tmp_path: Path) -> tuple[Path, Path, Path]:
    model = tmp_path / "Qwen3-0.6B-Instruct-2507-abliterated-mlx-community-4bit-DWQ-with-a-long-name"
    shutil.copytree(tiny_model, model)
    adapter = make_random_adapter(model, tmp_path / "runs" / "20261129-091704-a-rather-long-run-folder-name-x",
                                  num_layers=1)
    data = tmp_path / "customer-support-conversations-2026-cleaned-and-deduplicated"
    data.mkdir()
    shutil.copy(seed_data, data / "train.jsonl")  # no test split: the longest source note
    return model, adapter, data


@pytest.mark.usefixtures("no_dangling_jobs")
def test_window_fits_1024_on_this_page(qtbot, tiny_model: Path, seed_data: Path, tmp_path: Path) -> None:
    """The whole window can be 1024 px wide with the Fuse & Test page on screen: empty, and with long model /
    adapter / dataset names and the third (fused) pane — names elide, nothing forces the window wider."""
    w = MainWindow(AppState(), load_all=True)
    qtbot.addWidget(w)
    w.resize(1024, 700)
    w.show()
    assert w.show_page("test", force=True)
    page = w.page("test")
    assert isinstance(page, TestPage)
    assert w.minimumSizeHint().width() <= 1024, w.minimumSizeHint()
    shot(w, "test-empty-1024x700")

    model, adapter, data = _long_names(tiny_model, seed_data, tmp_path)
    w.state.set_model(model)
    w.state.set_dataset(data)
    w.state.set_adapter(adapter)
    page.compare.set_sources(model, adapter, model)  # as if a fused model existed: three panes
    qtbot.waitUntil(lambda: w.minimumSizeHint().width() <= 1024, timeout=2000)
    w.resize(1024, 700)
    qtbot.waitUntil(lambda: w.width() == 1024, timeout=2000)
    assert page.model_label.text() == model.name and page.model_label.toolTip() == str(model)
    assert "no test split" in page.evaluation.source_label.text()
    assert not page.status.text() or page.status.isVisible()
    shot(w, "test-long-names-1024x700")
    w.close()


def test_no_empty_band_under_the_model_row(qtbot, page: TestPage) -> None:
    """Without a message the status line takes no room: the prompt box starts right under the Model/Adapter row,
    and it is as tall as the buttons beside it."""
    page.show()
    page._message("")
    qtbot.waitUntil(lambda: not page.status.isVisible(), timeout=1000)
    head_bottom = page.picker.mapTo(page, page.picker.rect().bottomLeft()).y()
    prompt_top = page.compare.prompt.mapTo(page, page.compare.prompt.rect().topLeft()).y()
    assert prompt_top - head_bottom < 16, (head_bottom, prompt_top)
    side_top = page.compare.generate_button.mapTo(page, page.compare.generate_button.rect().topLeft()).y()
    assert abs(side_top - prompt_top) <= 2
    page._message("Something happened.")
    assert page.status.isVisible()


def _lightness(icon_pixmap_image: QImage) -> int:
    pixels = [icon_pixmap_image.pixelColor(x, y) for x in range(icon_pixmap_image.width())
              for y in range(icon_pixmap_image.height())]
    opaque = [c.lightness() for c in pixels if c.alpha() > 200]
    assert opaque, "the icon drew nothing"
    return max(opaque)


def test_long_pane_messages_elide(qtbot, page: TestPage) -> None:
    """An error or note in one answer pane elides (whole text in the tooltip): the panes keep equal widths and
    heights, the window does not widen."""
    page.resize(1024, 700)
    page.show()
    before = page.minimumSizeHint().width()
    page.compare.panes["base"].fail("The worker process ended unexpectedly (exit code -9): " + "details " * 40)
    QApplication.processEvents()
    assert page.minimumSizeHint().width() <= before
    base, tuned = page.compare.panes["base"], page.compare.panes["tuned"]
    assert abs(base.width() - tuned.width()) <= 2
    assert base.text.height() == tuned.text.height()
    assert "details" in base.stats.toolTip() and base.stats.text().startswith("The worker process ended")


def test_ready_check_shows_on_a_selected_row(qtbot) -> None:
    """The accent-coloured check is drawn in the highlighted-text colour on a selected (accent) row."""
    from mlxstudio.gui import icons

    palette = QApplication.instance().palette()
    ready = icons.status_icon("ready")
    normal = ready.pixmap(QSize(16, 16), QIcon.Mode.Normal).toImage()
    selected = ready.pixmap(QSize(16, 16), QIcon.Mode.Selected).toImage()

    def colours(image: QImage) -> set[str]:
        return {image.pixelColor(x, y).name() for x in range(16) for y in range(16)
                if image.pixelColor(x, y).alpha() == 255}

    assert palette.color(QPalette.ColorRole.Highlight).name() in colours(normal)
    assert palette.color(QPalette.ColorRole.HighlightedText).name() in colours(selected)


def test_button_icons_follow_a_dark_palette(qtbot, page: TestPage) -> None:
    app = QApplication.instance()
    light = app.palette()
    dark = QPalette(light)
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2b"), (QPalette.ColorRole.WindowText, "#eeeeee"),
                         (QPalette.ColorRole.Base, "#1e1e1e"), (QPalette.ColorRole.Text, "#eeeeee"),
                         (QPalette.ColorRole.Button, "#353535"), (QPalette.ColorRole.ButtonText, "#eeeeee")):
        dark.setColor(role, QColor(colour))
    buttons = [page.fuse_button, page.export_button, page.evaluation.choose_button, page.evaluation.run_button,
               page.compare.generate_button]
    page.compare.panes["base"].begin()
    try:
        app.setPalette(dark)
        QApplication.processEvents()
        for button in buttons:
            assert _lightness(button.icon().pixmap(QSize(16, 16)).toImage()) > 200, button.text()
        assert _lightness(page.compare.panes["base"].icon.pixmap().toImage()) > 200
    finally:
        app.setPalette(light)
        QApplication.processEvents()
    for button in buttons:
        assert _lightness(button.icon().pixmap(QSize(16, 16)).toImage()) < 100, button.text()
