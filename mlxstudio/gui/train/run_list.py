"""The list of past runs (name, date, model, final/best validation loss, status), from
:mod:`mlxstudio.core.training.runs`."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QDateTime, QLocale, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core.training import RunInfo, runs
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate

STATUS_TEXT = {
    "created": QT_TRANSLATE_NOOP("run_list", "not started"),
    "running": QT_TRANSLATE_NOOP("run_list", "training…"),
    "finished": QT_TRANSLATE_NOOP("run_list", "finished"),
    "stopped": QT_TRANSLATE_NOOP("run_list", "stopped"),
    "failed": QT_TRANSLATE_NOOP("run_list", "failed"),
    "interrupted": QT_TRANSLATE_NOOP("run_list", "interrupted"),
}

_Index = QModelIndex | QPersistentModelIndex


def _loss(v: float | None) -> str:
    return "–" if v is None else f"{v:.4g}"


class RunTableModel(QAbstractTableModel):
    """Rows are :class:`RunInfo` objects; :meth:`refresh` re-reads the runs folder."""

    COLUMNS = (QT_TRANSLATE_NOOP("run_list", "Run"), QT_TRANSLATE_NOOP("run_list", "Date"),
               QT_TRANSLATE_NOOP("run_list", "Model"), QT_TRANSLATE_NOOP("run_list", "Final val"),
               QT_TRANSLATE_NOOP("run_list", "Best val"), QT_TRANSLATE_NOOP("run_list", "Status"),
               QT_TRANSLATE_NOOP("run_list", "Test"))  # test loss (test: true), after Status: columns keep their index

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.runs: list[RunInfo] = []

    def refresh(self, root: Path | None = None) -> None:
        """Reload every run from disk."""
        self.beginResetModel()
        self.runs = runs.list_runs(root)
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate("run_list", self.COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return run.name
            if col == 1:  # short: the year only when it is not this one (the tooltip has the full date)
                if not run.created:
                    return ""
                same_year = run.created.year == _dt.datetime.now(run.created.tzinfo).year
                return run.created.strftime("%m-%d %H:%M" if same_year else "%Y-%m-%d %H:%M")
            if col == 2:
                return run.model
            if col == 3:
                return _loss(run.final_val_loss)
            if col == 4:
                return _loss(run.best_val_loss)
            if col == 5:
                text = translate("run_list", STATUS_TEXT.get(run.status, run.status))
                if run.status != "finished" and run.last_iteration:
                    text += f" at {run.last_iteration}"
                return text
            if col == 6:
                return _loss(run.test_loss)
        if role == Qt.ItemDataRole.ToolTipRole:
            when = QLocale().toString(QDateTime.fromSecsSinceEpoch(int(run.created.timestamp())),
                                      QLocale.FormatType.ShortFormat) if run.created else ""
            lines = [str(run.path), when, self.tr("model: {model}").format(model=run.model),
                     self.tr("dataset: {dataset}").format(dataset=run.dataset) if run.dataset else ""]
            if run.message:
                lines.append(run.message)
            if run.checkpoints:
                lines.append(self.tr("last checkpoint: iteration {iteration}").format(
                    iteration=run.checkpoints[-1].iteration))
            if run.test_loss is not None:
                lines.append(self.tr("test loss {loss:.4f}, perplexity {ppl:.3f}").format(
                    loss=run.test_loss, ppl=run.test_ppl or float("nan")))
            if run.full_model is not None:
                lines.append(self.tr("full fine-tune: saved as the model {name}").format(name=run.full_model.name))
            return "\n".join(x for x in lines if x)
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4, 6):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return run
        return None

    def run_at(self, row: int) -> RunInfo | None:
        return self.runs[row] if 0 <= row < len(self.runs) else None

    def row_of(self, path: Path) -> int:
        """Row of the run at ``path`` (-1 when not listed)."""
        for i, r in enumerate(self.runs):
            if r.path == path:
                return i
        return -1


class RunList(QWidget):
    """Table of runs with "Open", "Compare" and "Show folder" actions.

    ``open_requested(object)``: show this run's curves (and make it the run Resume continues);
    ``compare_requested(object)``: overlay its curves on the plot; ``reveal_requested(object)``.
    """

    open_requested = Signal(object)
    compare_requested = Signal(object)
    reveal_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RunTableModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        # the model name takes the room left (elided: it is in the tooltip), so at 1024 px the losses and the
        # status stay in view instead of behind a sideways scroll bar
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.doubleClicked.connect(lambda idx: self._emit(self.open_requested, idx.row()))

        self.open_button = QPushButton(self.tr("Open"))
        self.open_button.setToolTip(self.tr("Show this run's curves (a stopped run can then be resumed)"))
        self.compare_button = QPushButton(self.tr("Compare"))
        self.compare_button.setToolTip(self.tr("Overlay this run's loss curves on the plot (dashed)"))
        self.reveal_button = QPushButton(self.tr("Show folder"))
        self.reveal_button.setToolTip(self.tr("Open the run's folder (config, metrics, checkpoints, adapter)"))
        self.open_button.clicked.connect(lambda: self._emit(self.open_requested))
        self.compare_button.clicked.connect(lambda: self._emit(self.compare_requested))
        self.reveal_button.clicked.connect(lambda: self._emit(self.reveal_requested))
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.reveal_button)
        buttons.addStretch(1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view)
        lay.addLayout(buttons)
        self.view.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def refresh(self) -> None:
        """Re-read the runs folder, keeping the selection."""
        current = self.selected()
        self.model.refresh()
        if current is not None:
            self.select(current.path)

    def selected(self) -> RunInfo | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.run_at(rows[0].row()) if rows else None

    def select(self, path: Path) -> None:
        row = self.model.row_of(path)
        if row >= 0:
            self.view.selectRow(row)

    def _emit(self, signal: Any, row: int | None = None) -> None:
        run = self.model.run_at(row) if row is not None else self.selected()
        if run is not None:
            signal.emit(run)

    def _update_buttons(self, *_: Any) -> None:
        has = self.selected() is not None
        for b in (self.open_button, self.compare_button, self.reveal_button):
            b.setEnabled(has)
