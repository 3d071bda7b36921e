"""Step 2 — Data: a dataset editor that shows exactly what the model will learn.

A thin page over the Qt-free engine (:mod:`mlxstudio.core.data.dataset`, ``dataset_tokens``, ``dataset_recovery``): the
grid is a ``QAbstractTableModel`` over the engine's ``Dataset`` with every edit on a ``QUndoStack``; validation runs
after each edit (debounced) and fills the problems list; token counts and the token view use the active model's
tokenizer on background threads. Saving a split writes train/valid/test.jsonl into a dataset folder and hands it to
the Train page via :meth:`AppState.set_dataset`.

This module builds the page and wires its signals; what the page does lives in mixins next to its widgets in
:mod:`mlxstudio.gui.data`: ``grid_actions`` (rows, clipboard, find), ``file_actions`` (open, new, save),
``split_actions`` (the split and Next), ``recovery_actions`` (autosave), ``token_actions`` (counts, lengths, token
view) and ``status_actions`` (status line, title).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core.data import Dataset, Recovered
from mlxstudio.gui import icons, settings
from mlxstudio.gui.data.delegate import MultiLineDelegate
from mlxstudio.gui.data.file_actions import FileActions
from mlxstudio.gui.data.grid_actions import GridActions
from mlxstudio.gui.data.histogram import LengthHistogram
from mlxstudio.gui.data.problems_list import ProblemsList
from mlxstudio.gui.data.recovery_actions import RecoveryActions
from mlxstudio.gui.data.split_actions import SplitActions
from mlxstudio.gui.data.split_panel import SplitPanel
from mlxstudio.gui.data.status_actions import StatusActions
from mlxstudio.gui.data.table_model import DatasetTableModel
from mlxstudio.gui.data.token_actions import TokenActions
from mlxstudio.gui.data.token_service import TokenService
from mlxstudio.gui.data.token_view import TokenViewPanel
from mlxstudio.gui.model.banners import MessageBar
from mlxstudio.gui.state import AppState

AUTOSAVE_MS = 5000
LAST_PATH = settings.Setting("data/last_path", "", "The dataset file or folder open on the Data page.")
MAX_SEQ = settings.Setting("data/max_seq_length", 2048, "Maximum sequence length for the length checks.")
VALID_PCT = settings.Setting("data/valid_percent", 10.0, "Validation share of a split, in percent.")
TEST_PCT = settings.Setting("data/test_percent", 0.0, "Test share of a split, in percent.")
SEED = settings.Setting("data/seed", 0, "Seed of the train/valid/test split.")


class DataPage(FileActions, SplitActions, RecoveryActions, TokenActions, StatusActions, GridActions):
    """The Data page (see the module docstring)."""

    find_edit: QLineEdit  # the Find… field (the Find action, made before it, focuses it)

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("data-page")
        self.state = state
        self.undo = QUndoStack(self)
        self.model = DatasetTableModel(self.undo, self)
        self.tokens = TokenService(self)
        self.active = False  # a dataset is open (otherwise the empty state shows)
        self.source: Path | None = None  # the file (or split folder) the rows came from
        self.split_folder: Path | None = None
        self.recovered: Recovered | None = None
        self._autosaved_index = -1
        self._view_request = -1
        self._errors_message = False  # the message bar says "Fix the N errors…" (hidden once they are fixed)
        self._build()
        self._connect()
        self.tokens.set_model(state.model)
        self._check_recovery()
        self._refresh_all()

    # -- building ------------------------------------------------------------------------------------------------
    def _act(self, text: str, slot: Any, shortcut: Any = None, icon: str | None = None, tip: str = "") -> QAction:
        act = QAction(text, self)
        if icon:
            act.setIcon(icons.icon(icon))
        if isinstance(shortcut, QKeySequence.StandardKey):
            act.setShortcuts(shortcut)  # every platform binding (e.g. Cut is Ctrl+X and Shift+Del)
        elif shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if shortcut is not None:
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        if tip:
            act.setToolTip(tip)
        act.triggered.connect(lambda _=False: slot())
        self.addAction(act)
        return act

    def _build(self) -> None:
        A = self._act
        self.new_menu = QMenu(self.tr("New Dataset"), self)
        self.new_actions = {fmt: self.new_menu.addAction(label) for fmt, label in (
            ("completion", self.tr("Prompt / completion pairs")), ("chat", self.tr("Chat (system / user / assistant)")),
            ("text", self.tr("Plain text")))}
        for fmt, act in self.new_actions.items():
            act.triggered.connect(lambda _=False, f=fmt: self.new_dataset(f))
        self.open_action = A(self.tr("Open…"), self.open_dialog, None, "open",
                             self.tr("Open a dataset: .jsonl, .json, .csv, .tsv or .parquet"))
        self.download_action = A(self.tr("Download Dataset…"), self.download_dataset_dialog, None, "download",
                                 self.tr("Download a dataset from ModelScope or Hugging Face and open a split of it"))
        self.save_action = A(
            self.tr("Save"), self.save, QKeySequence.StandardKey.Save, None, self.tr("Save the dataset file"))
        self.save_as_action = A(self.tr("Save As…"), self.save_as_dialog, QKeySequence.StandardKey.SaveAs)
        self.sample_action = A(self.tr("Sample: Seed Pairs"), self.load_seed_pairs, None, "demo",
                               self.tr("Load the five seed pairs of the tutorial"))
        self.add_action = A(self.tr("Add Row"), self.add_row, QKeySequence.StandardKey.New, None,
                            self.tr("Add an empty row at the end"))
        self.insert_action = A(
            self.tr("Insert Row"), self.insert_row, "Ctrl+I", None, self.tr("Insert an empty row above"))
        self.duplicate_action = A(
            self.tr("Duplicate"), self.duplicate_rows, "Ctrl+D", None, self.tr("Duplicate the selected rows"))
        self.delete_action = A(self.tr("Delete Rows"), self.delete_rows, QKeySequence.StandardKey.Delete, "delete",
                               self.tr("Delete the selected rows"))
        self.up_action = A(
            self.tr("Move Up"), lambda: self.move_rows(-1), "Alt+Up", None, self.tr("Move the selected rows up"))
        self.down_action = A(
            self.tr("Move Down"), lambda: self.move_rows(1), "Alt+Down", None, self.tr("Move the selected rows down"))
        self.copy_action = A(self.tr("Copy"), self.copy, QKeySequence.StandardKey.Copy)
        self.cut_action = A(self.tr("Cut"), self.cut, QKeySequence.StandardKey.Cut)
        self.paste_action = A(self.tr("Paste"), self.paste, QKeySequence.StandardKey.Paste)
        self.find_action = A(self.tr("Find…"), lambda: self.find_edit.setFocus(), QKeySequence.StandardKey.Find)
        self.edit_json_action = A(self.tr("Edit Row as JSON…"), self.edit_row_json, None, None,
                                  self.tr("Edit the whole row (e.g. a multi-turn chat) as JSON"))
        self.undo_action = self.undo.createUndoAction(self, self.tr("Undo"))
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo.createRedoAction(self, self.tr("Redo"))
        self.redo_action.setShortcuts(QKeySequence.StandardKey.Redo)  # every binding: Ctrl+Y and Ctrl+Shift+Z
        for act in (self.undo_action, self.redo_action):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(act)

        for act, short in ((self.sample_action,
            self.tr("Seed Pairs")), (self.up_action, self.tr("Up")), (self.down_action, self.tr("Down")),
                           (self.delete_action, self.tr("Delete")), (self.add_action, self.tr("Add"))):
            act.setIconText(short)  # the toolbar is short; menus keep the full text
        bar = QToolBar()
        bar.setObjectName("data-toolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        new_button = QToolButton()
        new_button.setText(self.tr("New"))
        new_button.setMenu(self.new_menu)
        new_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        bar.addWidget(new_button)
        for act in (self.open_action, self.save_action, self.sample_action):
            bar.addAction(act)
        bar.addSeparator()
        for act in (self.add_action, self.duplicate_action, self.delete_action, self.up_action, self.down_action):
            bar.addAction(act)
        self.find_edit = QLineEdit()
        self.find_edit.setObjectName("data-find")
        self.find_edit.setPlaceholderText(self.tr("Find…"))
        self.find_edit.setClearButtonEnabled(True)
        self.find_edit.setMaximumWidth(180)
        bar.addSeparator()
        bar.addWidget(self.find_edit)

        self.message = MessageBar(self)
        self.conversion_bar = MessageBar(self)  # "Opened as Alpaca (…) → 1,000 pairs…" while the rows are converted
        self.conversion_bar.setObjectName("data-conversion")
        self.summary = QLabel()
        self.summary.setObjectName("data-summary")

        self.table = QTableView()
        self.table.setObjectName("data-grid")
        self.table.setModel(self.model)
        self.table.setItemDelegate(MultiLineDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                                   | QAbstractItemView.EditTrigger.EditKeyPressed
                                   | QAbstractItemView.EditTrigger.AnyKeyPressed)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().sectionResized.connect(self._section_resized)
        self.table.installEventFilter(self)
        self.table.viewport().installEventFilter(self)

        self.problems = ProblemsList()
        self.problems_label = QLabel(self.tr("Problems"))
        problems_box = QWidget()
        pl = QVBoxLayout(problems_box)
        pl.setContentsMargins(0, 0, 0, 0)
        pl.addWidget(self.problems_label)
        pl.addWidget(self.problems)

        self.grid_split = QSplitter(Qt.Orientation.Vertical)
        self.grid_split.setObjectName("data-grid-split")
        self.grid_split.addWidget(self.table)
        self.grid_split.addWidget(problems_box)
        self.grid_split.setStretchFactor(0, 4)
        self.grid_split.setStretchFactor(1, 1)
        self.grid_split.setSizes([480, 130])

        self.token_panel = TokenViewPanel()
        self.histogram = LengthHistogram()
        self.split_panel = SplitPanel()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("data-tabs")
        self.tabs.addTab(self.token_panel, self.tr("What the model sees"))
        self.tabs.addTab(self.histogram, self.tr("Lengths"))
        self.tabs.addTab(self.split_panel, self.tr("Split"))

        self.main_split = QSplitter(Qt.Orientation.Horizontal)
        self.main_split.setObjectName("data-main-split")
        self.main_split.addWidget(self.grid_split)
        self.main_split.addWidget(self.tabs)
        self.main_split.setStretchFactor(0, 3)
        self.main_split.setStretchFactor(1, 2)
        self.main_split.setSizes([560, 340])

        self.empty = self._empty_state()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.main_split)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 4)
        lay.addWidget(bar)
        lay.addWidget(self.message)
        lay.addWidget(self.conversion_bar)
        lay.addWidget(self.stack, 1)
        lay.addWidget(self.summary)

        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self.autosave)
        self.autosave_timer.start()
        self.count_timer = QTimer(self)
        self.count_timer.setSingleShot(True)
        self.count_timer.setInterval(400)
        self.count_timer.timeout.connect(self.request_counts)
        self.view_timer = QTimer(self)
        self.view_timer.setSingleShot(True)
        self.view_timer.setInterval(120)
        self.view_timer.timeout.connect(self.request_view)

    def _empty_state(self) -> QWidget:
        w = QWidget()
        w.setObjectName("data-empty")
        lay = QVBoxLayout(w)
        lay.addStretch(2)
        head = QLabel(self.tr("Teach the model with examples"))
        font = head.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        head.setFont(font)
        head.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(
            self.tr("Each row is a prompt and the completion the model should learn. Start from the five seed "
                      "pairs, an empty dataset, or a file: .jsonl, .json, .csv or .parquet, also Alpaca or ShareGPT "
                      "(you can drop it here)."))
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(head)
        lay.addWidget(body)
        row = QHBoxLayout()
        row.addStretch(1)
        for text, slot, name in ((self.tr("Load the Seed Pairs"), self.load_seed_pairs, "empty-sample"),
                                 (self.tr("New Dataset"), lambda: self.new_dataset("completion"), "empty-new"),
                                 (self.tr("Open a File…"), self.open_dialog, "empty-open")):
            b = QPushButton(text)
            b.setObjectName(name)
            b.clicked.connect(lambda _=False, s=slot: s())
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(3)
        return w

    def _connect(self) -> None:
        self.model.problems_changed.connect(self._problems_changed)
        self.model.dataset_replaced.connect(self._dataset_replaced)
        self.model.dataChanged.connect(self.view_timer.start)
        self.undo.cleanChanged.connect(self._update_title)
        self.undo.indexChanged.connect(self._edited)
        self.table.selectionModel().currentRowChanged.connect(self.view_timer.start)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.problems.row_activated.connect(self.go_to_row)
        self.find_edit.textChanged.connect(self.apply_filter)
        self.state.model_changed.connect(self._model_changed)
        self.tokens.tokenizer_ready.connect(self._tokenizer_ready)
        self.tokens.tokenizer_failed.connect(self._tokenizer_failed)
        self.tokens.counts_ready.connect(self._counts_ready)
        self.tokens.view_ready.connect(self._view_ready)
        self.token_panel.reasoning_changed.connect(self.state.set_reasoning)  # the run's setting (issue 20)
        self.state.reasoning_changed.connect(self._reasoning_changed)
        self.histogram.max_seq_length_changed.connect(self._max_len_changed)
        self.split_panel.changed.connect(self._update_split_preview)
        self.split_panel.save_requested.connect(lambda: self.save_split())
        self.model.max_seq_length = self.histogram.max_len.value()

    # -- page contract ---------------------------------------------------------------------------------------------
    def can_close(self) -> bool:
        """Ask about unsaved edits (Save / Discard / Cancel)."""
        return self.maybe_save("closing")

    def shutdown(self) -> None:
        """Stop background work; the recovery file stays only if edits are unsaved (and gets the latest ones)."""
        self.autosave()
        for timer in (self.autosave_timer, self.count_timer, self.view_timer):
            timer.stop()
        self.tokens.shutdown()

    def install_menus(self, window: Any) -> None:
        """Add the page's actions to the window's File and Edit menus."""
        file_menu = window.menu(self.tr("File"))
        first = file_menu.actions()[0] if file_menu.actions() else None
        file_menu.insertMenu(first, self.new_menu) if first else file_menu.addMenu(self.new_menu)
        for act in (self.download_action, self.save_action, self.save_as_action, self.sample_action):
            file_menu.insertAction(first, act) if first else file_menu.addAction(act)
        if first:
            file_menu.insertSeparator(first)
        edit = window.menu(self.tr("Edit"))
        for item in (self.undo_action, self.redo_action, None, self.cut_action, self.copy_action, self.paste_action,
                     None, self.add_action, self.insert_action, self.duplicate_action, self.delete_action,
                     self.up_action, self.down_action, None, self.edit_json_action, self.find_action):
            edit.addSeparator() if item is None else edit.addAction(item)

    def save_settings(self, s: QSettings) -> None:
        settings.save_splitter(s, "data-main", self.main_split)
        settings.save_splitter(s, "data-grid", self.grid_split)
        LAST_PATH.set(str(self.source) if self.source and self.undo.isClean() else
                      (str(self.source) if self.source else ""), s)
        MAX_SEQ.set(self.histogram.max_len.value(), s)
        VALID_PCT.set(self.split_panel.valid.value(), s)
        TEST_PCT.set(self.split_panel.test.value(), s)
        SEED.set(self.split_panel.seed.value(), s)

    def restore_settings(self, s: QSettings) -> None:
        settings.restore_splitter(s, "data-main", self.main_split)
        settings.restore_splitter(s, "data-grid", self.grid_split)
        self.histogram.max_len.setValue(MAX_SEQ.get(s))
        self.split_panel.valid.setValue(VALID_PCT.get(s))
        self.split_panel.test.setValue(TEST_PCT.get(s))
        self.split_panel.seed.setValue(SEED.get(s))
        last = LAST_PATH.get(s)
        if last and not self.active and self.recovered is None and Path(last).exists():
            self.open_path(Path(last), ask=False)  # no dialog at start (a remembered field mapping applies)

    # -- helpers used by the grid actions ------------------------------------------------------------------
    def _ensure_active(self) -> None:
        if not self.active:
            self._set_dataset(Dataset("completion", []), None)

    # -- reactions -----------------------------------------------------------------------------------------------------
    def _edited(self, *_: Any) -> None:
        self._update_title()
        self._update_actions()
        self.count_timer.start()
        if self.find_edit.text():
            self.apply_filter(self.find_edit.text())

    def _dataset_replaced(self) -> None:
        self.stack.setCurrentIndex(1 if self.active else 0)
        self._show_conversion()
        QTimer.singleShot(0, self._size_columns)
        self.view_timer.start()

    def _size_columns(self) -> None:
        """Share the grid's width between the text columns (the Tokens column keeps 80 px), until the person
        resizes a column by hand."""
        header = self.table.horizontalHeader()
        n = len(self.model.ds.columns)
        if n == 0 or getattr(self, "_columns_user_sized", False):
            return
        self._sized_width = self.table.viewport().width()
        width = max(240, self._sized_width - 84)
        self._sizing_columns = True
        try:
            for c in range(n):
                header.resizeSection(c, max(100, width // n))
            header.resizeSection(n, 80)
        finally:
            self._sizing_columns = False

    def _section_resized(self, *_: Any) -> None:
        if not getattr(self, "_sizing_columns", False) and self.table.isVisible() \
                and QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self._columns_user_sized = True  # dragged by hand: keep the person's widths

    def eventFilter(self, obj: Any, event: Any) -> bool:
        if obj is self.table.viewport() and event.type() == QEvent.Type.Resize and self.active:
            QTimer.singleShot(0, self._size_columns)  # the columns follow the window and the splitter
        return super().eventFilter(obj, event)

    def _problems_changed(self) -> None:
        if abs(self.table.viewport().width() - getattr(self, "_sized_width", 0)) > 4 and self.isVisible():
            QTimer.singleShot(0, self._size_columns)  # row markers changed the header width
        self.problems.set_problems(self.model.problems, self.source.name if self.source else "untitled")
        e, w = self.model.error_count(), self.model.warning_count()
        self.problems_label.setText(self.tr("Problems: {e} error{value}, {w} warning{value2}").format(
            e=e, value='s' * (e != 1), w=w, value2='s' * (w != 1))
                                    + ("" if e else
                                        self.tr(" — ready to split and train") if len(self.model.ds) else ""))
        self._update_split_preview()
        self._update_status()

    def _update_split_preview(self) -> None:
        self.split_panel.update_preview(len(self.model.ds), self.model.error_count())

    # -- refresh, actions -----------------------------------------------------------------------------------------
    def _refresh_all(self) -> None:
        self.stack.setCurrentIndex(1 if self.active else 0)
        self._update_title()
        self._update_actions()
        self._update_status()
        self._update_split_preview()
        self.view_timer.start()
        self.count_timer.start()

    def _update_actions(self, *_: Any) -> None:
        has_rows = self.active and len(self.model.ds) > 0
        selected = bool(self.selected_rows()) if has_rows else False
        for act in (self.duplicate_action, self.delete_action, self.up_action, self.down_action, self.copy_action,
                    self.cut_action, self.edit_json_action):
            act.setEnabled(selected)
        self.save_action.setEnabled(self.active)
        self.save_as_action.setEnabled(self.active)

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._update_title()
        if self.active and not getattr(self, "_sized", False):
            self._sized = True
            QTimer.singleShot(0, self._size_columns)

    def current_row_index(self) -> QModelIndex:
        return self.table.currentIndex()
