"""Issue 17 on the Data page: a file in another shape opens converted with one line saying so, Save never overwrites
the original (it suggests a new .jsonl next to it), unknown fields open through "Which field is what?" (remembered
for files with the same fields), Parquet/TSV/JSON open and are offered by the Open dialog and drag & drop.

Screenshots for looking at go to /tmp/shots (MLXSTUDIO_SCREENSHOTS=1)."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMainWindow, QWidget

from mlxstudio.core import paths
from mlxstudio.core.data import FieldMap, load_dataset, load_training_data
from mlxstudio.core.data.fields import converted_path, guess_field_map, mapping_problem, peek_fields, preview_mapping
from mlxstudio.gui.data.field_map_dialog import FieldMapDialog, remembered_map
from mlxstudio.gui.data.file_actions import OPEN_FILTER
from mlxstudio.gui.main_window import DATASET_FILTER, route_for
from mlxstudio.gui.pages.data_page import DataPage
from mlxstudio.gui.state import AppState

pytestmark = pytest.mark.usefixtures("no_dangling_jobs")
SHOTS = Path("/tmp/shots")
IDENTITY = [  # LLaMA-Factory's identity.json (pretty-printed JSON array, empty inputs, {{name}} placeholders)
    {"instruction": "hi", "input": "", "output": "Hello! I am {{name}}, an AI assistant developed by {{author}}. "
                                                 "How can I assist you today?"},
    {"instruction": "你好", "input": "",
     "output": "您好，我是 {{name}}，一个由 {{author}} 开发的 AI 助手，很高兴认识您。"},
    {"instruction": "你是谁？", "input": "", "output": "您好，我是由 {{author}} 发明的 {{name}}。很高兴认识您。"},
    {"instruction": "你是谁开发的？", "input": "", "output": "我是 {{name}}，由 {{author}} 开发的人工智能助手。"},
    {"instruction": "介绍一下你自己", "input": "",
     "output": "您好，我是 {{name}}，一个由 {{author}} 开发的 AI 助手，我可以回答各种问题，提供实用的建议和帮助。"},
]
QA_ZH = [  # field names no reader knows (a Chinese export)
    {"编号": 1, "问题": "今天星期几", "回答": "星期八"},
    {"编号": 2, "问题": "为什么天是蓝的？", "回答": "因为瑞利散射：短波长的蓝光被空气分子散射得更多。"},
    {"编号": 3, "问题": "一加一等于几", "回答": "二"},
]


@pytest.fixture
def window(qtbot):
    """A stand-alone main window holding only the Data page (1024×700)."""
    win = QMainWindow()
    page = DataPage(AppState())
    win.setCentralWidget(page)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    yield win, page
    page.shutdown()


def write_json(path: Path, rows: list[dict]) -> Path:
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def look(widget: QWidget, name: str) -> None:
    """Save /tmp/shots/<name>.png when MLXSTUDIO_SCREENSHOTS=1, after deferred layout has happened."""
    if not os.environ.get("MLXSTUDIO_SCREENSHOTS"):
        return
    for _ in range(20):
        QApplication.processEvents()
        threading.Event().wait(0.02)
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / f"{name}.png"))


def save_dialog(monkeypatch: pytest.MonkeyPatch, answer: Callable[[str], str] = lambda suggested: suggested
                ) -> list[str]:
    """Make the Save dialog answer ``answer(suggested)`` at once; returns the suggested paths."""
    asked: list[str] = []

    def get_save(*args: object, **_k: object) -> tuple[str, str]:
        asked.append(str(args[2]))
        return answer(str(args[2])), "JSON Lines (*.jsonl)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(get_save))
    return asked


def test_alpaca_json_shows_the_line_and_save_writes_a_new_file(window, tmp_path: Path, monkeypatch, qtbot) -> None:
    win, page = window
    src = write_json(tmp_path / "identity.json", IDENTITY)
    before = src.read_bytes()
    assert page.open_path(src)
    assert page.model.ds.rows[1] == {"prompt": "你好", "completion": IDENTITY[1]["output"]}
    bar = page.conversion_bar
    assert bar.isVisibleTo(page)
    assert bar.text() == ("Opened as Alpaca (instruction/input/output) → 5 prompt/completion pairs. The original "
                          "file stays as it is; Save writes a new .jsonl file.")
    assert bar.geometry().bottom() < page.stack.geometry().top()  # above the grid
    look(win, "data-converted-alpaca")
    asked = save_dialog(monkeypatch)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # Save → Save As, never the original
    assert asked == [str(tmp_path / "identity.jsonl")]
    assert src.read_bytes() == before
    out = tmp_path / "identity.jsonl"
    assert load_dataset(out).rows == page.model.ds.rows and load_dataset(out).conversion is None
    assert not bar.isVisibleTo(page)  # the rows on screen are in our own file now
    assert page.source == out and win.windowTitle() == "identity.jsonl[*] — MLX Studio"
    assert "identity.json is unchanged" in page.message.text()
    page.model.setData(page.model.index(0, 1), "Hello! I am 小助手.")
    assert page.save() and asked == [str(out)]  # our own file now: saved in place, no dialog
    assert load_dataset(out).rows[0]["completion"] == "Hello! I am 小助手."
    # again: identity.jsonl exists now, so the suggestion is another name; choosing the original is refused
    assert page.open_path(src)
    assert page.save() and asked[-1] == str(tmp_path / "identity-converted.jsonl")
    assert page.open_path(src)
    save_dialog(monkeypatch, lambda _s: str(src))
    assert not page.save()
    assert "the original file stays as it is" in page.message.text() and src.read_bytes() == before
    assert page.conversion_bar.isVisibleTo(page)


def test_the_line_goes_away_with_another_dataset_and_undo_brings_it_back(window, tmp_path: Path, monkeypatch) -> None:
    _, page = window
    src = write_json(tmp_path / "identity.json", IDENTITY)
    assert page.open_path(src)
    page.load_seed_pairs()
    assert not page.conversion_bar.isVisibleTo(page)
    page.undo.undo()  # the converted rows again: still converted, so Save still asks for a new file
    assert page.conversion_bar.isVisibleTo(page) and page.model.ds.conversion is not None
    asked = save_dialog(monkeypatch)
    assert page.save() and asked == [str(tmp_path / "identity.jsonl")]
    plain = tmp_path / "plain.jsonl"
    plain.write_text('{"prompt": "a", "completion": "b"}\n', encoding="utf-8")
    assert page.open_path(src) and page.conversion_bar.isVisibleTo(page)
    assert page.open_path(plain) and not page.conversion_bar.isVisibleTo(page)


def test_recovered_edits_of_a_converted_file_never_overwrite_it(qtbot, tmp_path: Path, monkeypatch) -> None:
    src = write_json(tmp_path / "identity.json", IDENTITY)
    before = src.read_bytes()
    page = DataPage(AppState())
    qtbot.addWidget(page)
    page.open_path(src)
    page.model.setData(page.model.index(0, 1), "恢复我")
    page.autosave()
    page.tokens.shutdown()
    page.deleteLater()  # killed: no save
    again = DataPage(AppState())
    qtbot.addWidget(again)
    try:
        again.restore_recovered()
        assert again.model.ds.rows[0]["completion"] == "恢复我"
        asked = save_dialog(monkeypatch)
        assert again.save() and asked == [str(tmp_path / "identity.jsonl")]
        assert src.read_bytes() == before
    finally:
        again.shutdown()


def test_split_and_next_work_with_a_converted_dataset(window, tmp_path: Path) -> None:
    _, page = window
    src = write_json(tmp_path / "identity.json", IDENTITY)
    before = src.read_bytes()
    assert page.open_path(src)
    page.model.validate_now()
    assert page.can_prepare_next()
    folder = page.save_split()
    assert folder == paths.datasets_dir() / "identity"
    data = load_training_data(folder)
    assert data["train"][1] == {"prompt": "你好", "completion": IDENTITY[1]["output"]}
    page.model.setData(page.model.index(0, 1), "edited")
    page.model.validate_now()
    assert page.split_stale() and page.prepare_next() and not page.split_stale()
    assert {r["completion"] for r in load_training_data(folder)["train"]} >= {"edited"}
    assert src.read_bytes() == before


def _when_dialog(qtbot, handle: Callable[[FieldMapDialog], None]) -> list[BaseException]:
    """Run ``handle(dialog)`` on the "Which field is what?" dialog as soon as it is shown (modal: exec())."""
    errors: list[BaseException] = []

    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, FieldMapDialog):
            QTimer.singleShot(20, poll)
            return
        try:
            handle(dialog)
        except BaseException as exc:  # reported by the test, after the dialog is closed
            errors.append(exc)
            dialog.reject()

    QTimer.singleShot(0, poll)
    return errors


def test_unknown_fields_open_through_the_dialog_and_are_remembered(window, tmp_path: Path, qtbot) -> None:
    win, page = window
    src = write_json(tmp_path / "问答.json", QA_ZH)
    before = src.read_bytes()
    seen: dict[str, object] = {}

    def choose(dialog: FieldMapDialog) -> None:
        assert dialog.windowTitle() == "Which field is what?"
        assert list(dialog.combos) == ["编号", "问题", "回答"]
        assert not dialog.ok_button.isEnabled() and "choose the field with the prompt" in dialog.status.text().lower()
        dialog.set_choice("问题", "prompt")
        assert not dialog.ok_button.isEnabled() and "completion" in dialog.status.text()
        dialog.set_choice("回答", "prompt")
        assert "are both the prompt" in dialog.status.text()
        dialog.set_choice("回答", "completion")
        assert dialog.ok_button.isEnabled() and dialog.status.text().startswith("Opens as prompt/completion pairs")
        assert dialog.preview.rowCount() == 3 and dialog.preview.item(0, 0).text() == "今天星期几"
        assert dialog.preview.item(1, 1).text() == QA_ZH[1]["回答"]
        assert all(c.accessibleName() for c in dialog.combos.values())
        look(dialog, "field-map-dialog")
        combo = dialog.combos["回答"]
        combo.setFocus()
        qtbot.keyClick(combo, Qt.Key.Key_Return)  # Enter = Open, also from a combo
        seen["done"] = True

    errors = _when_dialog(qtbot, choose)
    assert page.open_path(src)
    assert not errors, errors
    assert seen.get("done")
    assert page.model.ds.rows == [{"prompt": r["问题"], "completion": r["回答"]} for r in QA_ZH]
    assert page.conversion_bar.text().startswith(
        "Opened with fields mapped by you → 3 prompt/completion pairs; fields not used: 编号.")
    look(win, "data-mapped-fields")
    assert page.conversion_bar.action_button.text() == "Change Fields…"
    reopened: list[bool] = []

    def keep(dialog: FieldMapDialog) -> None:
        assert dialog.field_map() == FieldMap({"prompt": "问题", "completion": "回答"})  # the choice made
        reopened.append(True)
        dialog.reject()

    errors = _when_dialog(qtbot, keep)
    page.conversion_bar.action_button.click()
    assert reopened and not errors, errors
    assert page.model.ds.rows[0] == {"prompt": "今天星期几", "completion": "星期八"}  # cancelled: still open
    fields = ["编号", "问题", "回答"]
    assert remembered_map(fields) == FieldMap({"prompt": "问题", "completion": "回答"})
    assert src.read_bytes() == before

    # next time: the dialog starts with the remembered choice; Esc cancels and the page says what to do
    def cancel(dialog: FieldMapDialog) -> None:
        assert dialog.combos["问题"].currentData() == "prompt" and dialog.combos["回答"].currentData() == "completion"
        assert dialog.ok_button.isEnabled()
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    page.load_seed_pairs()
    page.undo.setClean()
    errors = _when_dialog(qtbot, cancel)
    assert not page.open_path(src)
    assert not errors, errors
    assert page.model.ds.rows[0]["prompt"] == "今天星期几"  # the seed pairs are still there
    assert page.message.isVisibleTo(page) and page.message.action_button.text() == "Which Field Is What…"
    assert "编号, 问题, 回答" in page.message.text()
    look(win, "data-fields-not-opened")
    # opened without asking (the last file, at start): the remembered choice applies
    assert page.open_path(src, ask=False) and page.model.ds.rows[2] == {"prompt": "一加一等于几", "completion": "二"}


def test_a_file_of_unknown_fields_with_no_remembered_choice_is_not_opened_silently(window, tmp_path: Path) -> None:
    _, page = window
    src = tmp_path / "unknown.csv"
    src.write_text("问题,回答\n今天星期几,星期八\n", encoding="utf-8")
    assert not page.open_path(src, ask=False)
    assert page.message.action_button.text() == "Which Field Is What…"


def test_parquet_tsv_and_json_open_and_are_offered(window, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    _, page = window
    pq.write_table(pa.Table.from_pylist(IDENTITY), tmp_path / "train-00000-of-00001.parquet")
    assert page.open_path(tmp_path / "train-00000-of-00001.parquet")
    assert len(page.model.ds) == 5 and page.model.ds.rows[2]["prompt"] == "你是谁？"
    assert "Alpaca" in page.conversion_bar.text()
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("prompt\tcompletion\n今天星期几\t星期八\n", encoding="utf-8")
    assert page.open_path(tsv) and page.model.ds.rows == [{"prompt": "今天星期几", "completion": "星期八"}]
    for suffix in (".jsonl", ".json", ".csv", ".tsv", ".parquet"):
        assert f"*{suffix}" in OPEN_FILTER and f"*{suffix}" in DATASET_FILTER
        assert route_for(tmp_path / f"x{suffix.upper()}") == "data"  # drag & drop and File → Open go to the page


# -- the engine's half (Qt-free) -------------------------------------------------------------------------------------
def test_guesses_from_common_field_names() -> None:
    assert guess_field_map(["question", "answer", "id"]) == FieldMap({"prompt": "question", "completion": "answer"})
    assert guess_field_map(["Query", "Response", "System"]) == FieldMap(
        {"prompt": "Query", "completion": "Response", "system": "System"})
    assert guess_field_map(["instruction", "input", "target"]) == FieldMap(
        {"prompt": "instruction", "completion": "target"})
    assert guess_field_map(["dialog", "question"]) == FieldMap({"messages": "dialog"})
    assert guess_field_map(["body", "title"]) == FieldMap({"text": "body"})
    assert guess_field_map(["问题", "回答"]) == FieldMap({})


def test_mapping_problems_say_what_to_choose() -> None:
    assert mapping_problem({"q": None, "a": None}).startswith("choose the field with the prompt")
    assert "completion" in mapping_problem({"q": "prompt", "a": None})
    assert "not both" in mapping_problem({"q": "prompt", "a": "completion", "t": "text"})
    assert mapping_problem({"q": "prompt", "a": "completion", "s": "system"}) is None
    assert mapping_problem({"m": "messages"}) is None


def test_peek_and_preview_match_what_opens(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "qa.csv"
    src.write_text("Question,Answer,System\n今天星期几,星期八,你是日历。\n1+1?,2,\n", encoding="utf-8")
    fields, rows = peek_fields(src)
    assert fields == ["question", "answer", "system"] and rows[0]["question"] == "今天星期几"
    choices = {"question": "prompt", "answer": "completion", "system": "system"}
    preview = preview_mapping(rows, choices)
    mapping = FieldMap({"prompt": "question", "completion": "answer", "system": "system"})
    ds = load_dataset(src, mapping)
    assert preview.error is None and preview.rows == ds.rows and preview.format == ds.format == "chat"
    assert ds.rows[0]["messages"][0] == {"role": "system", "content": "你是日历。"}  # the system prompt is used
    assert ds.rows[1]["messages"] == [{"role": "user", "content": "1+1?"}, {"role": "assistant", "content": "2"}]
    pq.write_table(pa.Table.from_pylist(QA_ZH), tmp_path / "qa.parquet")
    assert peek_fields(tmp_path / "qa.parquet")[0] == ["编号", "问题", "回答"]
    assert preview_mapping(rows, {"question": "messages"}).problems  # text is not a list of messages: said, not hidden


def test_converted_path_never_names_the_original(tmp_path: Path) -> None:
    assert converted_path(tmp_path / "identity.json") == tmp_path / "identity.jsonl"
    alpaca = tmp_path / "alpaca.jsonl"
    alpaca.write_text("{}\n")
    assert converted_path(alpaca) == tmp_path / "alpaca-converted.jsonl"
    (tmp_path / "alpaca-converted.jsonl").write_text("{}\n")
    assert converted_path(alpaca) == tmp_path / "alpaca-converted-2.jsonl"
    assert converted_path(tmp_path / "d.parquet") == tmp_path / "d.jsonl"


def test_the_dialog_with_many_fields_and_long_values(qtbot, tmp_path: Path) -> None:
    """A hub export with many fields and long values: nothing widens the dialog; an unfit choice says so."""
    context = "瑞利散射是指光被远小于其波长的微粒散射的现象，" * 12
    rows = [{"id": i, "title": f"第{i}题", "question": f"为什么天是蓝的？（{i}）", "answer": "因为瑞利散射。",
             "context": context, "source": "https://example.org/very/long/path/" + "x" * 80, "category": "物理",
             "created_at": "2024-05-01T12:00:00Z", "score": 0.93} for i in range(1, 21)]
    dialog = FieldMapDialog(tmp_path / "physics_qa_export.parquet", list(rows[0]), rows)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.width() == 720 and dialog.height() <= 600
    assert dialog.minimumSizeHint().width() <= 720 and dialog.minimumSizeHint().height() <= 600
    assert dialog.field_map() == FieldMap({"prompt": "question", "completion": "answer"})  # guessed
    assert dialog.ok_button.isEnabled()
    look(dialog, "field-map-dialog-many-fields")
    dialog.set_choice("context", "messages")
    assert not dialog.ok_button.isEnabled() and "not both" in dialog.status.text()
    dialog.set_choice("question", None)
    dialog.set_choice("answer", None)
    assert dialog.ok_button.isEnabled() and "not a list" in dialog.status.text()  # opens; the grid shows the problem
    look(dialog, "field-map-dialog-warning")
    dialog.reject()
