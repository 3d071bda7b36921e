"""The Data page: edit, undo/redo, insert/delete/move, copy/paste TSV, save/reload round-trips, malformed files,
autosave recovery, token counts and the token view with a real tokenizer, split → AppState.dataset."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from gui_helpers import answer, shot
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QMainWindow, QMessageBox, QWidget

from mlxstudio.core import paths
from mlxstudio.core.data.dataset import load_dataset, load_training_data
from mlxstudio.core.data.recovery import read_recovery, recovery_path
from mlxstudio.gui.pages.data_page import DataPage
from mlxstudio.gui.state import AppState

DATA = Path(__file__).parent / "data"
TRICKY = [{"prompt": "今天星期几", "completion": "星期八"},
          {"prompt": "line 1\nline 2", "completion": 'a, "quoted", b'},
          {"prompt": "tab\there; semicolon", "completion": "逗号，中文“引号”"}]
pytestmark = pytest.mark.usefixtures("no_dangling_jobs")


@pytest.fixture
def window(qtbot):
    """A stand-alone main window holding only the Data page (1024×700)."""
    state = AppState()
    win = QMainWindow()
    page = DataPage(state)
    win.setCentralWidget(page)
    qtbot.addWidget(win)
    win.resize(1024, 700)
    win.show()
    yield win, page, state
    page.shutdown()


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_empty_state_then_seed_pairs(window, qtbot) -> None:
    win, page, state = window
    assert page.stack.currentWidget() is page.empty
    shot(win, "data-empty")
    qtbot.mouseClick(page.empty.findChild(QWidget, "empty-sample"), Qt.MouseButton.LeftButton)
    assert page.stack.currentWidget() is page.main_split
    assert page.model.rowCount() == 5
    assert page.model.index(0, 0).data() == "今天星期几"
    assert state.step("data").summary == "5 pairs · 0 errors"
    assert page.is_modified()  # the sample is not in any file yet
    assert win.windowTitle() == "untitled[*] — MLX Studio"  # ends with the app name: Linux appends it otherwise


def test_edit_undo_redo_and_edit_menu_text(window) -> None:
    _, page, _ = window
    page.load_seed_pairs()
    idx = page.model.index(0, 1)
    assert page.model.setData(idx, "星期九")
    assert page.model.ds.rows[0]["completion"] == "星期九"
    assert page.undo_action.text() == "Undo Edit Completion (row 1)"
    page.undo.undo()
    assert page.model.ds.rows[0]["completion"] == "星期八"
    page.undo.redo()
    assert page.model.ds.rows[0]["completion"] == "星期九"
    assert not page.model.setData(page.model.index(0, 2), "5")  # the Tokens column is read-only


def test_validation_markers_and_problems_list(window, qtbot) -> None:
    win, page, state = window
    page.load_seed_pairs()
    page.model.setData(page.model.index(2, 1), "")
    qtbot.waitUntil(lambda: page.model.error_count() == 1)
    assert page.problems.count() == 1
    assert "Row 3" in page.problems.item(0).text() and "empty" in page.problems.item(0).text()
    tip = page.model.headerData(2, Qt.Orientation.Vertical, Qt.ItemDataRole.ToolTipRole)
    assert "empty" in tip
    assert page.model.headerData(2, Qt.Orientation.Vertical, Qt.ItemDataRole.DecorationRole) is not None
    assert state.step("data").summary == "5 pairs · 1 error" and not state.step("data").ready
    assert not page.split_panel.save_button.isEnabled()
    page.problems.row_activated.emit(2, "completion")
    assert page.table.currentIndex().row() == 2 and page.table.currentIndex().column() == 1
    # at 1024 px the sentence wraps inside the list instead of hiding its end behind a sideways scroll bar
    win.resize(790, 700)  # the page's share of a 1024-px window (the navigator takes the rest)
    item = page.problems.item(0)
    qtbot.waitUntil(lambda: page.problems.visualItemRect(item).height() > 1.5 * page.problems.fontMetrics().height())
    assert page.problems.visualItemRect(item).right() <= page.problems.viewport().width()
    assert not page.problems.horizontalScrollBar().isVisible()
    shot(win, "data-errors")
    page.undo.undo()
    qtbot.waitUntil(lambda: page.model.error_count() == 0)
    assert page.split_panel.save_button.isEnabled()


def test_insert_delete_duplicate_move(window) -> None:
    _, page, _ = window
    page.load_seed_pairs()
    first = [r["prompt"] for r in page.model.ds.rows]
    page.add_row()
    assert page.model.rowCount() == 6 and page.model.ds.rows[5] == {"prompt": "", "completion": ""}
    page.table.closePersistentEditor(page.model.index(5, 0))
    page._select_rows(1, 2)
    page.duplicate_rows()
    assert page.model.rowCount() == 8 and page.model.ds.rows[3] == page.model.ds.rows[1]
    page._select_rows(3, 2)
    page.delete_rows()
    assert [r["prompt"] for r in page.model.ds.rows][:5] == first
    page._select_rows(0)
    page.move_rows(1)
    assert page.model.ds.rows[1]["prompt"] == first[0] and page.table.currentIndex().row() == 1
    page.move_rows(-1)
    assert page.model.ds.rows[0]["prompt"] == first[0]
    while page.undo.canUndo():
        page.undo.undo()
    assert [r["prompt"] for r in page.model.ds.rows] == first


def test_copy_paste_tsv(window) -> None:
    _, page, _ = window
    page.load_seed_pairs()
    page.model.setData(page.model.index(0, 0), "multi\nline, \"quoted\"\ttab")
    page._select_rows(0, 2)
    text = page.copy()
    assert QGuiApplication.clipboard().text() == text
    page._select_rows(4)
    assert page.paste() == 2
    assert page.model.rowCount() == 7
    assert page.model.ds.rows[5] == page.model.ds.rows[0] and page.model.ds.rows[6] == page.model.ds.rows[1]
    # a header row copied from a spreadsheet is dropped; one value pastes into the current cell
    assert page.paste("prompt\tcompletion\n新的问题\t新的回答\n") == 1
    assert page.model.ds.rows[6] == {"prompt": "新的问题", "completion": "新的回答"}  # below the current row
    page.table.setCurrentIndex(page.model.index(0, 1))
    assert page.paste("星期十") == 0 and page.model.ds.rows[0]["completion"] == "星期十"
    page.undo.undo()
    assert page.model.ds.rows[0]["completion"] == "星期八"


@pytest.mark.parametrize("ext", [".jsonl", ".csv"])
def test_save_reload_round_trip(window, tmp_path: Path, ext: str) -> None:
    win, page, _ = window
    src = write_jsonl(tmp_path / "src.jsonl", TRICKY)
    assert page.open_path(src)
    page.model.setData(page.model.index(0, 1), "星期八\n第二行")
    assert win.isWindowModified()
    target = tmp_path / f"out{ext}"
    assert page.save_as(target)
    assert not win.isWindowModified() and "out" in win.windowTitle()
    expected = [dict(r) for r in TRICKY]
    expected[0]["completion"] = "星期八\n第二行"
    assert load_dataset(target).rows == expected
    assert page.open_path(target)
    assert page.model.ds.rows == expected
    assert src.read_text(encoding="utf-8").count("\n") == 3  # the source was never touched


def test_malformed_file_clear_message_nothing_changed(window, tmp_path: Path) -> None:
    _, page, _ = window
    page.load_seed_pairs()
    before = [dict(r) for r in page.model.ds.rows]
    bad = DATA / "bad" / "invalid_json.jsonl"
    original = bad.read_bytes()
    page.undo.setClean()  # nothing unsaved: opening does not ask
    assert not page.open_path(bad)
    assert page.message.isVisible() and f"{bad}:2:" in page.message.text()
    assert page.model.ds.rows == before
    assert bad.read_bytes() == original


def test_save_failure_keeps_edits(window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, page, _ = window
    src = write_jsonl(tmp_path / "a.jsonl", TRICKY)
    page.open_path(src)
    page.model.setData(page.model.index(0, 0), "edited")

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    assert not page.save()
    monkeypatch.undo()
    assert "No space left" in page.message.text() and page.is_modified()
    assert page.model.ds.rows[0]["prompt"] == "edited"
    assert load_dataset(src).rows == TRICKY


def test_close_asks_about_unsaved_edits(window, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, page, _ = window
    page.open_path(write_jsonl(tmp_path / "a.jsonl", TRICKY))
    assert page.can_close()
    page.model.setData(page.model.index(0, 0), "x")
    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    assert not page.can_close() and asked
    answer(monkeypatch, QMessageBox.StandardButton.Save)
    assert page.can_close()
    assert load_dataset(tmp_path / "a.jsonl").rows[0]["prompt"] == "x"


def test_autosave_and_recovery(qtbot, tmp_path: Path) -> None:
    src = write_jsonl(tmp_path / "a.jsonl", TRICKY)
    state = AppState()
    page = DataPage(state)
    qtbot.addWidget(page)
    page.open_path(src)
    page.model.setData(page.model.index(1, 1), "恢复我")
    page.autosave()
    assert recovery_path().exists()
    page.tokens.shutdown()
    page.deleteLater()  # as if the app was killed: no save, no clean-up
    assert load_dataset(src).rows == TRICKY  # the original is untouched until the person saves

    again = DataPage(AppState())
    qtbot.addWidget(again)
    assert again.recovered is not None and "a.jsonl" in again.message.text()
    again.restore_recovered()
    assert again.model.ds.rows[1]["completion"] == "恢复我" and again.is_modified()
    assert again.save()
    assert load_dataset(src).rows[1]["completion"] == "恢复我"
    assert read_recovery() is None
    again.shutdown()


def test_split_saves_folder_and_sets_state(window, qtbot) -> None:
    win, page, state = window
    page.load_seed_pairs()
    page.add_row()
    page.table.closePersistentEditor(page.model.index(5, 0))
    page.model.setData(page.model.index(5, 0), "第六个问题")
    page.model.setData(page.model.index(5, 1), "第六个回答")
    page.model.validate_now()
    assert page.split_panel.train_all.isChecked()  # a small set starts with "train on every row"
    page.split_panel.train_all.setChecked(False)
    page.split_panel.valid.setValue(20.0)
    page.split_panel.test.setValue(20.0)
    folder = page.save_split(paths.datasets_dir() / "seed")
    assert folder is not None and state.dataset == folder
    assert state.step("data").ready and state.step("data").summary == "6 pairs · 0 errors"
    data = load_training_data(folder)
    assert [len(data[k]) for k in ("train", "valid", "test")] == [4, 1, 1]
    assert not page.is_modified()  # the untitled sample now lives in the split folder
    shot(win, "data-split")


def test_small_set_trains_every_row(window, tmp_path: Path) -> None:
    """Under 20 rows every row is trained and validation reads the same rows (a held-out pair is never learned)."""
    _, page, _state = window
    page.load_seed_pairs()
    page.model.validate_now()
    panel = page.split_panel
    assert panel.train_all.isChecked() and not panel.valid.isEnabled()
    assert panel.preview.text() == "train 5 · valid 5 (the same rows) · test 0 rows"
    folder = page.save_split(tmp_path / "small")
    assert folder is not None
    data = load_training_data(folder)
    assert data["train"] == data["valid"] and len(data["train"]) == 5
    assert panel.leakage.text() == ""  # the copy is intended, not leakage
    assert "valid 5 = train" in panel.saved.text()
    reopened = DataPage(AppState())
    try:
        assert reopened.open_path(folder)
        assert reopened.model.rowCount() == 5  # the copy in valid.jsonl is not read as five more rows
    finally:
        reopened.shutdown()
        reopened.deleteLater()
    panel.train_all.setChecked(False)  # the person's choice sticks, even for small sets
    page.add_row()
    page.model.validate_now()
    assert not panel.train_all.isChecked() and panel.valid.isEnabled()


def test_next_saves_the_split_and_again_after_edits(window, tmp_path: Path, qtbot) -> None:
    """The window's Next button: the page saves the split when there is none or the rows changed since."""
    _, page, state = window
    assert not page.can_prepare_next()
    page.load_seed_pairs()
    page.model.validate_now()
    assert page.can_prepare_next() and state.dataset is None
    assert page.prepare_next()
    folder = state.dataset
    assert folder is not None and len(load_training_data(folder)["train"]) == 5
    assert page.prepare_next() and state.dataset == folder  # nothing changed: nothing written
    page.model.setData(page.model.index(0, 1), "星期九")
    page.model.validate_now()
    assert page.split_stale() and "Next saves it again" in page.summary.text()
    assert page.prepare_next() and not page.split_stale()
    assert not page.is_modified()  # the rows are saved in their split folder: nothing to recover or ask about
    assert {r["completion"] for r in load_training_data(folder)["train"]} >= {"星期九"}
    page.model.setData(page.model.index(0, 1), "")
    page.model.validate_now()
    assert not page.can_prepare_next() and not page.prepare_next()  # errors: the page stays and says why
    assert page.message.kind == "error" and "Fix the 1 error listed" in page.message.label.text()
    assert page.message.isVisibleTo(page)
    page.undo.undo()  # fixed: the message goes away with the error
    qtbot.waitUntil(lambda: page.model.error_count() == 0)
    assert not page.message.isVisibleTo(page)


def test_open_split_folder(window, tmp_path: Path) -> None:
    _, page, state = window
    folder = tmp_path / "set"
    folder.mkdir()
    write_jsonl(folder / "train.jsonl", TRICKY[:2])
    write_jsonl(folder / "valid.jsonl", TRICKY[2:])
    assert page.open_path(folder)
    assert page.model.rowCount() == 3 and state.dataset == folder


def test_find_filter(window) -> None:
    _, page, _ = window
    page.load_seed_pairs()
    page.find_edit.setText("星期")
    hidden = [page.table.isRowHidden(r) for r in range(5)]
    assert hidden == [False, True, True, True, True]
    page.find_edit.setText("")
    assert not any(page.table.isRowHidden(r) for r in range(5))


def test_token_counts_and_view(window, qtbot, tiny_tokenizer: Path) -> None:
    win, page, state = window
    page.load_seed_pairs()
    state.set_model(tiny_tokenizer)
    qtbot.waitUntil(lambda: page.model.token_text(0) not in ("", "…"), timeout=20_000)
    assert page.model.token_text(0) == "28 (4)"
    qtbot.waitUntil(lambda: bool(page.histogram.lengths), timeout=10_000)
    assert len(page.histogram.lengths) == 5
    page.table.setCurrentIndex(page.model.index(0, 1))
    qtbot.waitUntil(lambda: page.token_panel.view is not None
                    and page.token_panel.view.text.startswith("<|im_start|>user\n今天星期几"), timeout=10_000)
    view = page.token_panel.view
    assert "".join(p.text for p in view.pieces if p.trained) == "星期八<|im_end|>\n"
    assert page.token_panel.summary.text().startswith("28 tokens · 4 trained")
    shot(win, "data-token-view")
    # a max length shorter than the prompt: the warning about zero trained tokens, and long-row warnings
    page.histogram.max_len.setValue(20)
    qtbot.waitUntil(lambda: page.token_panel.warning.isVisible(), timeout=10_000)
    assert "Nothing of this row is trained" in page.token_panel.warning.text()
    qtbot.waitUntil(lambda: page.model.warning_count() == 5)
    assert page.histogram.truncated_rows() == 5


def test_chat_dataset_cells(window, tmp_path: Path) -> None:
    _, page, _ = window
    assert page.open_path(DATA / "ok" / "chat_system.csv")
    assert [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(4)] == \
        ["System", "User", "Assistant", "Tokens"]
    page.model.setData(page.model.index(1, 0), "简短")
    assert page.model.ds.rows[1]["messages"][0] == {"role": "system", "content": "简短"}
    assert page.replace_row_json(0, json.dumps({"messages": [{"role": "user", "content": "a"},
                                                             {"role": "assistant", "content": "b"},
                                                             {"role": "user", "content": "c"},
                                                             {"role": "assistant", "content": "d"}]}))
    assert "[multi-turn]" in page.model.index(0, 2).data()
    assert not page.replace_row_json(0, "{broken")
    out = tmp_path / "chat.jsonl"
    assert page.save_as(out) and load_dataset(out).format == "chat"


def test_in_main_window(qtbot, tiny_tokenizer: Path, tmp_path: Path) -> None:
    """The real window loads the page, its menus get the page's actions, a dropped/opened .csv lands here, and a
    saved split makes the Train step reachable."""
    from mlxstudio.gui.main_window import MainWindow

    state = AppState()
    w = MainWindow(state, load_all=True)
    qtbot.addWidget(w)
    page = w.page("data")
    assert isinstance(page, DataPage)
    edit_texts = [a.text() for a in w.menu("Edit").actions()]
    assert "Add Row" in edit_texts and any(t.startswith("Undo") for t in edit_texts)
    assert "Save As…" in [a.text() for a in w.menu("File").actions()]
    state.set_model(tiny_tokenizer)
    csv_file = tmp_path / "pairs.csv"
    csv_file.write_text("prompt,completion\n今天星期几,星期八\n太阳什么时候升起?,晚上八点\n", encoding="utf-8")
    assert w.open_path(csv_file)
    assert w.current_step() == "data" and page.model.rowCount() == 2
    assert not w.is_reachable("train")
    assert page.save_split(tmp_path / "split") is not None
    assert w.is_reachable("train")
    assert w.can_close()
    w.shutdown()


def test_keyboard(window, qtbot) -> None:
    """Delete deletes rows in the grid but not while typing in a cell; Enter on the last row adds one."""
    from PySide6.QtWidgets import QPlainTextEdit

    _, page, _ = window
    page.load_seed_pairs()
    page.table.setFocus()
    page._select_rows(4)
    page.table.edit(page.model.index(4, 0))
    editor = page.table.findChild(QPlainTextEdit, "cell-editor")
    assert editor is not None
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.Start)
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert page.model.rowCount() == 5 and page.model.ds.rows[4]["prompt"] == "迅为什么讨厌周树人"
    page.table.setFocus()
    page._select_rows(4)
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    assert page.model.rowCount() == 6
    page.table.closePersistentEditor(page.model.index(5, 0))
    page.table.setFocus()
    page._select_rows(5)
    qtbot.keyClick(page.table, Qt.Key.Key_Delete)
    assert page.model.rowCount() == 5
    qtbot.keyClick(page.table, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert page.model.rowCount() == 6
    qtbot.keyClick(page.table, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)  # redo, as on a Mac
    assert page.model.rowCount() == 5


KILLED_EDITOR = r"""
import os, sys, time
from pathlib import Path
from PySide6.QtWidgets import QApplication
from mlxstudio.core.data.recovery import recovery_path
from mlxstudio.gui.pages.data_page import DataPage
from mlxstudio.gui.state import AppState
app = QApplication([])
page = DataPage(AppState())
page.autosave_timer.setInterval(50)
page.open_path(Path(sys.argv[1]))
page.model.setData(page.model.index(0, 1), "edit 0")
i = 0
ready = False
while True:  # keep editing (and autosaving) until killed
    app.processEvents()
    if not ready and recovery_path().exists():
        ready = True
        print("READY", flush=True)
    i += 1
    page.model.setData(page.model.index(1, 1), f"edit {i}")
    time.sleep(0.01)
"""


def test_killed_while_editing_recovers(qtbot, tmp_path: Path) -> None:
    """SIGKILL the app during edits: the recovery file restores them (all but the last interval) and the original
    file is untouched."""
    import signal
    import subprocess
    import sys

    src = write_jsonl(tmp_path / "a.jsonl", TRICKY)
    original = src.read_bytes()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_EDITOR, str(src)], stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert proc.stdout is not None
        import select

        assert select.select([proc.stdout], [], [], 60)[0], "the editor never autosaved"
        assert proc.stdout.readline().strip() == "READY"
        threading.Event().wait(0.5)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    assert src.read_bytes() == original
    page = DataPage(AppState())
    qtbot.addWidget(page)
    assert page.recovered is not None
    page.restore_recovered()
    rows = page.model.ds.rows
    assert rows[0]["completion"] == "edit 0" and rows[1]["completion"].startswith("edit ")
    assert rows[2] == TRICKY[2]
    page.shutdown()


def test_file_menu_downloads_a_dataset_and_opens_its_split(window, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    """File → Download Dataset… opens the rows the dialog returns (the dialog itself: test_gui_dataset_download.py);
    they are in no file yet, so they count as unsaved and Save asks where."""
    from mlxstudio.core.data import Dataset
    from mlxstudio.gui.data import dataset_download_dialog

    rows = [{"prompt": "你好", "completion": "您好！"}, {"prompt": "1+1?", "completion": "2"}]

    class FakeDialog:
        def __init__(self, _parent: object) -> None:
            self.result_dataset = Dataset("completion", [dict(r) for r in rows])

        def exec(self) -> int:
            return 1

        def opened_summary(self) -> str:
            return "train[:2] of tatsu-lab/alpaca (Alpaca → 2 prompt/completion pairs)"

        def deleteLater(self) -> None:
            pass

    monkeypatch.setattr(dataset_download_dialog, "DatasetDownloadDialog", FakeDialog)
    _win, page, _state = window
    assert page.download_action.text() == "Download Dataset…"
    page.download_action.trigger()
    assert page.model.rowCount() == 2 and page.model.ds.rows == rows
    assert page.is_modified()
    assert "tatsu-lab/alpaca" in page.message.text()
