"""Batch evaluation: every row of the test split (or any JSONL) answered by base and tuned, scored, summarised.

The work runs in the worker process (job "evaluate"); each scored row arrives as an ``EvalRowDone`` event and is
added to the table at once. Selecting a row shows a character diff of the tuned answer against the expected one
(and the base answer's). Rows where the tuned model got worse than the base are flagged.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QEvent, QModelIndex, QPersistentModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import errors
from mlxstudio.core import events as ev
from mlxstudio.core.inference import EvalResult, EvalRow, diff_segments, export_results
from mlxstudio.gui import icons, settings
from mlxstudio.gui.elided_label import ElidedLabel
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.qworker import WorkerThread
from mlxstudio.gui.test.adapter_picker import adapter_problem

COLUMNS = ("#", QT_TRANSLATE_NOOP("eval_panel", "Prompt"), QT_TRANSLATE_NOOP("eval_panel", "Expected"),
           QT_TRANSLATE_NOOP("eval_panel", "Base answer"), QT_TRANSLATE_NOOP("eval_panel", "Tuned answer"),
           QT_TRANSLATE_NOOP("eval_panel", "Base"), QT_TRANSLATE_NOOP("eval_panel", "Tuned"))
_Index = QModelIndex | QPersistentModelIndex


def score_text(exact: bool | None, contains: bool | None) -> str:
    """"exact", "contains", "✗", or "" when not measured."""
    if exact is None:
        return ""
    return "exact" if exact else "contains" if contains else "✗"


class EvalTableModel(QAbstractTableModel):
    """Rows of an evaluation (a list of :class:`EvalRow`), one per dataset row."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[EvalRow] = []

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return translate("eval_panel", COLUMNS[section])
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = (str(r.index + 1), r.prompt, r.expected, r.base if r.base is not None else "–", r.tuned,
                      score_text(r.base_exact, r.base_contains), score_text(r.tuned_exact, r.tuned_contains))
            text = values[col]
            if role == Qt.ItemDataRole.ToolTipRole:
                if col == 0 and r.worse:
                    return self.tr("The tuned answer is worse than the base answer on this row")
                return text if col in (1, 2, 3, 4) and len(text) > 30 else None
            return " ".join(text.split()) if col in (1, 2, 3, 4) else text
        if role == Qt.ItemDataRole.DecorationRole:
            if col == 0 and r.worse:
                return icons.status_icon("warning")
            if col == 6:
                return icons.status_icon("ready") if r.tuned_exact or r.tuned_contains else None
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (0, 5, 6):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def clear(self) -> None:
        self.beginResetModel()
        self.rows = []
        self.endResetModel()

    def add(self, row: EvalRow) -> None:
        """Append (or replace, by index) one scored row."""
        for i, existing in enumerate(self.rows):
            if existing.index == row.index:
                self.rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))
                return
        n = len(self.rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self.rows.append(row)
        self.endInsertRows()


def diff_html(answer: str, expected: str, title: str) -> str:
    """HTML showing how ``answer`` differs from ``expected``: missing text struck through, extra text underlined.

    Meaning does not rely on colour alone (strike/underline), and the tints are translucent so they read in light and
    dark mode.
    """
    parts = []
    for op, text in diff_segments(expected, answer):
        t = html.escape(text).replace("\n", "↵<br>")
        if op == "equal":
            parts.append(t)
        elif op == "delete":
            parts.append(f'<s style="background-color: rgba(220, 50, 47, 0.25)" title="missing">{t}</s>')
        else:
            parts.append(f'<u style="background-color: rgba(38, 162, 105, 0.25)" title="extra">{t}</u>')
    return f"<p><b>{html.escape(title)}</b><br>{''.join(parts) or '<i>(empty)</i>'}</p>"


class DiffView(QTextBrowser):
    """The selected row's diff; while empty it shows ``hint`` word-wrapped in the placeholder colour (Qt draws a
    QTextEdit placeholder on one line, cut off in a narrow pane)."""

    def __init__(self, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hint = hint
        self.setOpenLinks(False)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self.hint and self.document().isEmpty():
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            m = int(self.document().documentMargin())
            painter.drawText(self.viewport().rect().adjusted(m, m, -m, -m),
                             int(Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap), self.hint)
            painter.end()


class EvalPanel(QWidget):
    """Run / Stop, a summary line, the results table, a diff of the selected row, and Export."""

    busy_changed = Signal(bool)
    message = Signal(str)
    result_ready = Signal(object)
    """The finished :class:`EvalResult`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_path: Path | None = None
        self.adapter: Path | None = None
        self.tuned_model: Path | None = None
        """A full fine-tune's saved model (issue 21): the tuned side when there is no adapter."""
        self.data_path: Path | None = None
        self.worker: WorkerThread | None = None
        self.result: EvalResult | None = None
        self._ran_with: tuple[Path | None, Path | None, Path | None, Path | None] | None = None
        """(model, adapter, tuned model, data) of the rows in the table."""
        self._build()
        self._update_buttons()

    def _build(self) -> None:
        self.title = QLabel(self.tr("<b>Batch evaluation</b>"))
        self.source_label = ElidedLabel()  # a long file name elides (full text in the tooltip), never widening
        self.source_label.setEnabled(False)
        self.choose_button = QPushButton(icons.icon("open"), self.tr("Other file…"))
        self.choose_button.setToolTip(self.tr("Evaluate on another JSONL/CSV file (prompt/completion or chat rows)"))
        self.choose_button.clicked.connect(self._choose_file)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 4096)
        self.max_tokens.setValue(64)
        self.max_tokens.setPrefix(self.tr("max "))
        self.max_tokens.setSuffix(self.tr(" tokens"))
        self.max_tokens.setToolTip(self.tr("Longest answer per row (greedy decoding)"))
        self.run_button = QPushButton(icons.icon("next"), self.tr("Run evaluation"))
        self.run_button.clicked.connect(self.run)
        self.stop_button = QPushButton(icons.icon("cancel"), self.tr("Stop"))
        self.stop_button.clicked.connect(self.stop)
        self.export_button = QPushButton(icons.icon("reveal"), self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save the results as CSV (opens in Excel/Numbers) or JSON"))
        self.export_button.clicked.connect(self._export_dialog)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.source_label, 1)
        head.addWidget(self.choose_button)
        head.addWidget(self.max_tokens)
        head.addWidget(self.run_button)
        head.addWidget(self.stop_button)
        head.addWidget(self.export_button)

        self.progress = QProgressBar()
        self.progress.setMaximumHeight(14)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.summary = QLabel(self.tr("Run the evaluation to score base and tuned answers on every row."))
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.table_model = EvalTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(36)
        for col, width in enumerate((40, 0, 0, 0, 0, 64, 64)):
            if width:
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
                self.table.setColumnWidth(col, width)
            else:  # the four text columns share the width: none is squeezed to nothing in a small window
                header.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        self.table.selectionModel().currentRowChanged.connect(self._show_diff)

        self.diff = DiffView(self.tr("Select a row to see how the answers differ from the expected one."))
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.diff)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.splitter = split

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(head)
        lay.addWidget(self.progress)
        lay.addWidget(self.summary)
        lay.addWidget(split, 1)

    # -- inputs ------------------------------------------------------------------------------------------------
    def set_sources(self, model: Path | None, adapter: Path | None, data: Path | None,
                    tuned_model: Path | None = None) -> None:
        """Base model, adapter (or a full fine-tune's ``tuned_model``), and the data to evaluate on (a split folder →
        its test split, or a file)."""
        self.model_path, self.adapter = model, adapter
        self.tuned_model = tuned_model if adapter is None else None
        if data != self.data_path:
            self.data_path = data
        self._show_source()
        self._mark_stale()
        self._update_buttons()

    def is_current(self) -> bool:
        """Whether the table's rows were scored with the model, adapter and data now chosen."""
        return self._ran_with == (self.model_path, self.adapter, self.tuned_model, self.data_path)

    def _mark_stale(self) -> None:
        """Rows from an earlier adapter/model/file stay for comparison, but the summary says they are not this one's."""
        if not self.table_model.rows or self.busy or self.is_current() or self._ran_with is None:
            return
        adapter, tuned = self._ran_with[1], self._ran_with[2]
        was = (self.tr("the adapter {name}").format(name=adapter.name) if adapter else
               self.tr("the fine-tuned model {name}").format(name=tuned.name) if tuned else self.tr("another adapter"))
        self.summary.setText(self.tr("<b>These rows are from {escape}</b> (model, adapter or file changed "
                                 "since) — run the evaluation again for the current choice.").format(
                                     escape=html.escape(was)))

    def _show_source(self) -> None:
        d = self.data_path
        self.source_label.setToolTip(str(d) if d else "")
        if d is None:
            self.source_label.setText(self.tr("no dataset yet"))
            return
        if d.is_dir():
            split = next((n for n in ("test.jsonl", "valid.jsonl", "train.jsonl") if (d / n).is_file()), None)
            note = {"test.jsonl": self.tr("test split"), "valid.jsonl": self.tr("validation split (no test split)"),
                    "train.jsonl": self.tr("training split (no test split)")}.get(split or "", "")
            self.source_label.setText(self.tr("on {name}/{split} — {note}").format(
                name=d.name, split=split, note=note) if split else f"on {d.name}")
        else:
            self.source_label.setText(f"on {d.name}")

    def _choose_file(self) -> None:
        start = str(self.data_path.parent if self.data_path else Path.home())
        path, _ = QFileDialog.getOpenFileName(self,
            self.tr("Evaluate on…"), start, self.tr("Datasets (*.jsonl *.csv);;All files (*)"))
        if path:
            self.data_path = Path(path)
            self._show_source()
            self._mark_stale()
            self._update_buttons()

    # -- running -----------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.worker is not None

    def _has_tuned(self) -> bool:
        return self.adapter is not None or self.tuned_model is not None

    def _update_buttons(self) -> None:
        ready = self.model_path is not None and self._has_tuned() and self.data_path is not None
        self.run_button.setEnabled(ready and not self.busy)
        self.run_button.setToolTip("" if ready else self.tr("Needs a model, an adapter and a dataset"))
        self.stop_button.setEnabled(self.busy)
        self.choose_button.setEnabled(not self.busy)
        self.export_button.setEnabled(bool(self.table_model.rows) and not self.busy)

    def run(self) -> None:
        """Start the evaluation in a worker process."""
        if self.busy or self.model_path is None or not self._has_tuned() or self.data_path is None:
            return
        problem = adapter_problem(self.model_path, self.adapter) if self.adapter is not None else None
        if problem:
            self.summary.setText(html.escape(problem))
            self.message.emit(problem)
            return
        self.table_model.clear()
        self.result = None
        self._ran_with = (self.model_path, self.adapter, self.tuned_model, self.data_path)
        self.diff.clear()
        self.progress.setRange(0, 0)
        self.progress.show()
        self.summary.setText(self.tr("Loading the models…"))
        tuned = {"adapter_path": str(self.adapter)} if self.adapter is not None else {
            "tuned_model": str(self.tuned_model)}
        params = {"model": str(self.model_path), **tuned, "data": str(self.data_path),
                  "max_tokens": self.max_tokens.value(), "compare_base": True}
        self.worker = WorkerThread("evaluate", params, parent=self)
        self.worker.core_event.connect(self._on_event)
        self.worker.finished_ok.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.finished.connect(self._on_thread_done)
        self.worker.start()
        self.busy_changed.emit(True)
        self._update_buttons()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop(timeout=5.0)
            self.stop_button.setEnabled(False)

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.EvalRowDone):
            names = set(EvalRow.__dataclass_fields__)
            self.table_model.add(EvalRow(**{k: v for k, v in event.row.items() if k in names}))
            self.progress.setRange(0, event.total)
            self.progress.setValue(event.index + 1)
            partial = EvalResult(rows=list(self.table_model.rows))
            self.summary.setText(self.tr("{value} of {total} rows · {summary_line}").format(
                value=event.index + 1, total=event.total, summary_line=partial.summary_line()))
        elif isinstance(event, ev.Progress) and event.job == "evaluate" and event.done == 0 and event.total:
            self.summary.setText(self.tr("{capitalize} ({total:.0f} rows)…").format(
                capitalize=event.message.capitalize(), total=event.total))

    def _on_finished(self, result: dict) -> None:
        self.result = EvalResult.from_dict(result)
        self.table_model.clear()
        for row in self.result.rows:
            self.table_model.add(row)
        self.summary.setText(self._summary_html(self.result))
        if self.table_model.rows:
            self.table.selectRow(0)
        self.result_ready.emit(self.result)

    @staticmethod
    def _summary_html(result: EvalResult) -> str:
        s = result.summary()
        worse = translate("EvalPanel", " · <b>{s} worse than base</b>").format(
            s=s['worse']) if s["worse"] else translate("EvalPanel", " · none worse than base")
        return (translate("EvalPanel", "<b>tuned {s}/{s2} exact, base {s3}/{s4}</b> · contains: tuned "
                    "{s5}/{s6}, base {s7}/{s8}{worse} · {elapsed:.1f} s").format(s=s['tuned_exact'], s2=s['rows'],
                            s3=s['base_exact'], s4=s['base_rows'], s5=s['tuned_contains'], s6=s['rows'],
                    s7=s['base_contains'], s8=s['base_rows'], worse=worse, elapsed=result.elapsed))

    def _on_failed(self, message: str) -> None:
        self.summary.setText(self.tr("Evaluation failed: {escape}").format(escape=html.escape(message)))
        self.message.emit(message)

    def _on_cancelled(self, message: str) -> None:
        n = len(self.table_model.rows)
        partial = EvalResult(rows=list(self.table_model.rows))
        self.summary.setText(self.tr("Stopped after {n} rows. {value}").format(
            n=n, value=partial.summary_line() if n else ''))

    def _on_thread_done(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        self.progress.hide()
        self.busy_changed.emit(False)
        self._update_buttons()

    def shutdown(self) -> None:
        if self.worker is not None:
            self.worker.stop_and_wait(3.0)

    # -- diff & export -----------------------------------------------------------------------------------------
    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the diff's legend colour comes from the palette
            current = self.table.selectionModel().currentIndex()
            self._show_diff(current, current)

    def _show_diff(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or current.row() >= len(self.table_model.rows):
            self.diff.clear()
            return
        r = self.table_model.rows[current.row()]
        muted = self.palette().color(QPalette.ColorRole.PlaceholderText).name()
        parts = [self.tr("<p><b>Prompt</b><br>{escape}</p>").format(escape=html.escape(r.prompt)),
                 self.tr("<p><b>Expected</b><br>{escape}</p>").format(escape=html.escape(r.expected)),
                 diff_html(r.tuned, r.expected, self.tr("Tuned ({score_text})").format(
                     score_text=score_text(r.tuned_exact, r.tuned_contains)))]
        if r.base is not None:
            parts.append(diff_html(r.base, r.expected, self.tr("Base ({score_text})").format(
                score_text=score_text(r.base_exact, r.base_contains))))
        if r.worse:
            parts.insert(0, self.tr("<p><b>⚠ The tuned answer is worse than the base answer here.</b></p>"))
        for title, reasoning in ((self.tr("Tuned model's thinking (not scored)"), r.tuned_reasoning),
                                 (self.tr("Base model's thinking (not scored)"), r.base_reasoning)):
            if reasoning:  # the think block, apart from the answer: shown here, on demand, dimmed
                parts.append(f'<p style="color:{muted}"><b>{html.escape(title)}</b><br>'
                             f'<i>{html.escape(reasoning)}</i></p>')
        parts.append(self.tr("<p style=\"color:{muted}\"><s>struck</s> = missing from the answer, "
                         "<u>underlined</u> = not in the expected answer</p>").format(muted=muted))
        self.diff.setHtml("".join(parts))

    def current_result(self) -> EvalResult | None:
        """The finished result, or the rows so far."""
        if self.result is not None:
            return self.result
        return EvalResult(rows=list(self.table_model.rows)) if self.table_model.rows else None

    def _export_dialog(self) -> None:
        result = self.current_result()
        if result is None:
            return
        path, chosen = QFileDialog.getSaveFileName(self,
            self.tr("Export evaluation"), str(Path.home() / "evaluation.csv"),
                                                   self.tr("CSV (*.csv);;JSON (*.json)"))
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in {".csv", ".json"}:
            target = target.with_suffix(".json" if "JSON" in chosen else ".csv")
        self.export(target)

    def export(self, target: Path) -> Path | None:
        """Write the results to ``target`` (.csv or .json); reports errors on :attr:`message`."""
        result = self.current_result()
        if result is None:
            return None
        try:
            out = export_results(result, target)
        except (errors.UserError, OSError) as exc:
            self.message.emit(self.tr("Could not export: {exc}").format(exc=exc))
            return None
        self.message.emit(self.tr("Evaluation saved to {out}").format(out=out))
        return out

    # -- settings ----------------------------------------------------------------------------------------------
    def save_settings(self, s: QSettings) -> None:
        s.setValue("test/eval_max_tokens", self.max_tokens.value())
        s.setValue("test/eval_splitter", self.splitter.saveState())

    def restore_settings(self, s: QSettings) -> None:
        self.max_tokens.setValue(settings.typed_value(s, "test/eval_max_tokens", 64))
        state = s.value("test/eval_splitter")
        if state is not None:
            self.splitter.restoreState(state)
