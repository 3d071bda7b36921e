"""Fuse & Test page with the tiny model: streaming panes fill (same text as the engine), Stop works, the batch
evaluation table fills, fusing adds a library model and a third pane, a mismatched adapter is refused, exports."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lora_helpers import make_random_adapter
from tiny_model import make_tiny_model

from mlxstudio.core import events as ev
from mlxstudio.core import paths
from mlxstudio.core.generate import Generator
from mlxstudio.gui import qworker
from mlxstudio.gui.pages.test_page import TestPage
from mlxstudio.gui.state import AppState
from mlxstudio.gui.test.eval_panel import diff_html
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


def test_export_adapter_zip(qtbot, page: TestPage, tmp_path: Path) -> None:
    with qtbot.waitSignal(page.busy_bar.windowIconChanged, timeout=100, raising=False):
        page.export("adapter", None, tmp_path / "adapter.zip")
    qtbot.waitUntil(lambda: page.export_worker is None, timeout=WAIT)
    assert zipfile.ZipFile(tmp_path / "adapter.zip").namelist()
    assert "adapter exported" in page.status.text()


def test_diff_html_marks_missing_and_extra() -> None:
    html = diff_html("今天星期一", "今天星期八", "Tuned")
    assert "<s" in html and "八" in html and "<u" in html and "一" in html
