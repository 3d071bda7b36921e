"""Thinking models in the window (issue 20), with the Qwen3 stand-in: the Fuse & Test panes show the answer and fold
the reasoning into a dimmed "Thinking" part (no raw think tags, the same answer as the CLI); the Data page renders
rows with the run's Reasoning setting, the Train form's row and the Data page's choice are one setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from gui_helpers import shot
from PySide6.QtWidgets import QMainWindow
from qwen3_standin import REASONING, seed_pairs, standin_folder

from mlxstudio.core.data import load_tokenizer
from mlxstudio.core.inference import Generator
from mlxstudio.core.inference.reasoning import split_thinking
from mlxstudio.core.training.batching import make_batch, tokenize_rows
from mlxstudio.gui import qworker
from mlxstudio.gui.pages.data_page import DataPage
from mlxstudio.gui.pages.test_page import TestPage
from mlxstudio.gui.state import AppState
from mlxstudio.gui.test.answer_pane import AnswerPane
from mlxstudio.gui.train.config_form import ConfigForm
from mlxstudio.gui.train.reasoning_row import bind_reasoning

PROMPT, ANSWER = "蓝牙耳机坏了应该看什么科", "耳鼻喉科"
WAIT = 120_000


@pytest.fixture(scope="session")
def qwen3() -> Path:
    return standin_folder()


@pytest.fixture(autouse=True)
def _no_dangling_workers():
    yield
    left = qworker.running_workers()
    qworker.await_workers(10)
    assert not left, f"test left workers running: {left}"


def test_pane_folds_streamed_reasoning(qtbot) -> None:
    pane = AnswerPane("tuned", "Tuned")
    qtbot.addWidget(pane)
    pane.resize(420, 300)
    pane.show()
    pane.begin()
    assert pane.thinking.isHidden()
    for piece in ["<th", "ink>\n", "用户问：", "蓝牙", "\n</th", "ink>\n\n", "耳鼻", "喉科"]:
        pane.append(piece)
        assert "<" not in pane.answer() and "think>" not in pane.reasoning()
    assert pane.thinking.isVisible() and pane.thinking.folded and pane.thinking.text.isHidden()
    pane.finish({"generation_tokens": 8, "tokens_per_second": 10.0})
    assert (pane.reasoning(), pane.answer()) == ("用户问：蓝牙", "耳鼻喉科")
    assert pane.thinking.toggle.text() == "Thinking · 6 characters"
    pane.begin()
    pane.append("<think>\n还在想")
    assert pane.thinking.toggle.text() == "Thinking…" and pane.answer() == ""
    pane.finish({})
    assert "still thinking" in pane.stats.text()


def test_fuse_and_test_page_shows_the_answer_and_folds_the_thinking(qtbot, qwen3: Path) -> None:
    state = AppState()
    state.set_model(qwen3)
    page = TestPage(state)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    cmp = page.compare
    assert cmp.thinking.isEnabled() and not cmp.thinking.isChecked()  # nothing recorded: answer directly
    cmp.thinking.setChecked(True)
    cmp.prompt.setPlainText(PROMPT)
    cmp.max_tokens.setValue(40)
    cmp.generate()
    qtbot.waitUntil(lambda: not cmp.busy, timeout=WAIT)
    pane = cmp.panes["base"]
    assert pane.answer() == ANSWER and pane.reasoning() == REASONING[PROMPT]
    cli_answer = split_thinking(Generator(qwen3).generate(PROMPT, max_tokens=40, enable_thinking=True))
    assert (pane.reasoning(), pane.answer()) == cli_answer              # the window and the CLI answer the same
    assert pane.thinking.folded
    shot(page, "reasoning-pane-folded")
    pane.thinking.set_folded(False)
    assert pane.thinking.text.isVisible()
    shot(page, "reasoning-pane-unfolded")
    page.shutdown()


def test_data_page_renders_with_the_runs_reasoning_setting(qtbot, qwen3: Path) -> None:
    state = AppState()
    form = ConfigForm()
    bind_reasoning(form, state)
    win = QMainWindow()
    page = DataPage(state)
    win.setCentralWidget(page)
    qtbot.addWidget(win)
    qtbot.addWidget(form)
    win.resize(1024, 700)
    win.show()
    page.load_seed_pairs()
    state.set_model(qwen3)
    assert form.editors["reasoning"].isEnabled()
    tok = load_tokenizer(qwen3)
    rows = [{"prompt": p["prompt"], "completion": p["completion"]} for p in seed_pairs()]

    def trained(reasoning: str) -> str:  # read off a real training batch, row 0
        data = tokenize_rows(rows[:1], tok, mask_prompt=True, max_seq_length=512, reasoning=reasoning)
        b = make_batch(data, [0], 8, 512)
        o, n = b.lengths.tolist()[0]
        return str(tok.decode(b.inputs.tolist()[0][max(o, 1):n]))

    page.table.setCurrentIndex(page.model.index(0, 1))
    qtbot.waitUntil(lambda: page.token_panel.view is not None, timeout=WAIT)
    assert page.token_panel.reasoning.isVisible()

    def shown() -> str:
        view = page.token_panel.view
        return "".join(p.text for p in view.pieces if p.trained) if view else ""

    qtbot.waitUntil(lambda: shown() == trained("direct"), timeout=WAIT)   # auto, no reasoning in the data: direct
    assert shown() == "星期八<|im_end|>\n"
    shot(win, "reasoning-data-page-direct")
    form.editors["reasoning"].setCurrentIndex(form.editors["reasoning"].findData("keep"))  # on the Train page
    assert state.reasoning == "keep" and page.token_panel.reasoning.currentData() == "keep"
    qtbot.waitUntil(lambda: shown() == trained("keep"), timeout=WAIT)
    assert shown() == "<think>\n\n</think>\n\n星期八<|im_end|>\n"
    page.token_panel.reasoning.setCurrentIndex(page.token_panel.reasoning.findData("direct"))  # on the Data page
    assert form.config().reasoning == "direct"
    page.shutdown()


def test_eval_table_shows_the_reasoning_on_demand(qtbot) -> None:
    from mlxstudio.core.inference.evaluate import EvalRow
    from mlxstudio.gui.test.eval_panel import EvalPanel

    panel = EvalPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 400)
    panel.show()
    row = EvalRow.score(0, PROMPT, ANSWER, ANSWER)
    row.tuned_reasoning = REASONING[PROMPT]
    panel.table_model.add(row)
    assert panel.table_model.data(panel.table_model.index(0, 4)) == ANSWER   # the answer cell: no reasoning
    panel.table.setCurrentIndex(panel.table_model.index(0, 1))
    qtbot.waitUntil(lambda: REASONING[PROMPT] in panel.diff.toPlainText())
    assert "thinking (not scored)" in panel.diff.toPlainText()
    shot(panel, "reasoning-eval-detail")
