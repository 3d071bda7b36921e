"""The detail panel of the Model page: what the selected model is, what training it would need, where it lives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel

from mlxstudio.gui import icons, settings
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.model.add_folder import source_text
from mlxstudio.gui.model.banners import MessageBar
from mlxstudio.gui.model.format import config_summary, human_params, human_size

REVEAL_TEXT = (QT_TRANSLATE_NOOP("detail_panel", "Reveal in Finder") if sys.platform == "darwin"
               else QT_TRANSLATE_NOOP("detail_panel", "Show in Files"))
DEFAULT_LAYERS = 16
DEFAULT_RANK = 8


def reveal(path: Path) -> bool:
    """Open the folder ``path`` in Finder / the file manager."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def training_memory(info: Any, batch_size: int, max_seq_length: int, num_layers: int = DEFAULT_LAYERS,
                    rank: int = DEFAULT_RANK, dataset_tokens: int = 0) -> int | None:
    """``core.models.estimate_training_memory`` in bytes, or None when it cannot be estimated."""
    try:
        from mlxstudio.core import models

        return int(models.estimate_training_memory(info, batch_size=batch_size, max_seq_length=max_seq_length,
                                                   num_layers=num_layers, rank=rank, dataset_tokens=dataset_tokens))
    except Exception:  # an odd config must not break the panel; the estimate is a hint
        return None


class DetailPanel(QWidget):
    """Shows one ``ModelInfo``; emits :attr:`use_requested` / :attr:`delete_requested` with it."""

    use_requested = Signal(object)
    delete_requested = Signal(object)
    add_requested = Signal(object)
    """[Add to Library] for a model folder used outside the library."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model-detail")
        self.info: Any = None
        self.setMinimumWidth(260)

        self.stack = QStackedWidget()
        self.empty = QLabel(self.tr("Select a model in the library to see what it is and what training it needs."))
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setEnabled(False)
        self.stack.addWidget(self.empty)

        body = QWidget()
        self.title = QElidingLabel()
        self.title.setObjectName("detail-title")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(font)
        self.subtitle = QLabel()
        self.subtitle.setObjectName("detail-subtitle")
        self.subtitle.setWordWrap(True)
        self.problem = MessageBar()
        self.use_button = QPushButton(icons.icon("use"), self.tr("Use this model"))
        self.use_button.setObjectName("use-model")
        self.use_button.setDefault(True)
        self.use_button.clicked.connect(lambda: self.info is not None and self.use_requested.emit(self.info))
        self.delete_button = QPushButton(icons.icon("delete"), self.tr("Delete…"))
        self.delete_button.setObjectName("delete-model")
        self.delete_button.clicked.connect(lambda: self.info is not None and self.delete_requested.emit(self.info))
        self.add_button = QPushButton(icons.icon("add-folder"), self.tr("Add to Library"))
        self.add_button.setObjectName("detail-add-to-library")
        self.add_button.setToolTip(
            self.tr("Link this folder into the library (no second copy), so it stays in the list."))
        self.add_button.clicked.connect(lambda: self.info is not None and self.add_requested.emit(self.info))
        buttons = QHBoxLayout()
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)

        self.about = about = QGroupBox(self.tr("About this model"))
        # a grid, not a QFormLayout: a form filled again gave a wrapped last value ("4-bit, group size 32") the
        # height of one line (cut off) when the panel is narrow
        self.facts = QGridLayout(about)
        self.facts.setColumnStretch(1, 1)

        mem_box = QGroupBox(self.tr("Memory for training"))
        mem_box.setToolTip(self.tr("LoRA training with the Train page's defaults: rank {DEFAULT_RANK} on "
                               "the last {DEFAULT_LAYERS} layers.").format(DEFAULT_RANK=DEFAULT_RANK,
                                                                           DEFAULT_LAYERS=DEFAULT_LAYERS))
        mem = QGridLayout(mem_box)  # a grid for the same reason as the facts: wrapped estimates were cut off
        mem.setColumnStretch(1, 1)
        self.batch = QSpinBox()
        self.batch.setRange(1, 256)
        self.batch.setValue(settings.MEMORY_BATCH.get())
        self.batch.setToolTip(self.tr("Rows per training step (the Train page's batch size)."))
        self.seq = QSpinBox()
        self.seq.setRange(16, 131072)
        self.seq.setSingleStep(256)
        self.seq.setValue(settings.MEMORY_SEQ.get())
        self.seq.setSuffix(self.tr(" tokens"))  # the unit on the number: a short label leaves the estimates room
        self.seq.setToolTip(self.tr("Longest row in tokens (the Train page's max sequence length)."))
        self.memory = QLabel("—")
        self.memory.setObjectName("memory-estimate")
        self.memory.setWordWrap(True)
        self.dataset_memory = QLabel()
        self.dataset_memory.setObjectName("dataset-memory-estimate")
        self.dataset_memory.setWordWrap(True)
        self.dataset_memory.setToolTip(
            self.tr("With the dataset chosen for training: batches are padded to their longest "
                                       "row, so short pairs need far less than the maximum sequence length."))
        self.dataset_lengths: Any = None  # TokenStats of the dataset for this model, when counted
        self._dataset_label = QLabel(self.tr("Your dataset:"))
        # the last run's peak on a row of its own: beside the estimate for the rows above (512 tokens by default)
        # it read as if that estimate were 5x too high ("≈ 4.7 GB (measured peak of the last run: 874 MB)")
        self.last_peak = QLabel()
        self.last_peak.setObjectName("measured-peak")
        self.last_peak.setWordWrap(True)
        self.last_peak.setToolTip(
            self.tr("Peak memory measured during the last finished training run of this model, with "
                                  "that run's batch size and rows."))
        self._last_peak_label = QLabel(self.tr("Last run:"))
        for row, (label, field) in enumerate([(QLabel(self.tr("Batch size:")), self.batch),
                                              (QLabel(self.tr("Longest row:")), self.seq),
                                              (QLabel(self.tr("Estimate:")), self.memory),
                                              (self._dataset_label, self.dataset_memory),
                                              (self._last_peak_label, self.last_peak)]):
            spin = isinstance(field, QSpinBox)
            mem.addWidget(label, row, 0, Qt.AlignmentFlag.AlignVCenter if spin else Qt.AlignmentFlag.AlignTop)
            mem.addWidget(field, row, 1)
        self._show_dataset_row(False)
        self.batch.valueChanged.connect(self._spin_changed)
        self.seq.valueChanged.connect(self._spin_changed)

        where = QGroupBox(self.tr("Location"))
        where_lay = QHBoxLayout(where)
        self.path = QElidingLabel("")
        self.path.setElideMode(Qt.TextElideMode.ElideMiddle)
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reveal_button = QPushButton(icons.icon("reveal"), translate("detail_panel", REVEAL_TEXT))
        self.reveal_button.clicked.connect(lambda: self.info is not None and reveal(Path(self.info.path)))
        where_lay.addWidget(self.path, 1)
        where_lay.addWidget(self.reveal_button)

        lay = QVBoxLayout(body)
        lay.setContentsMargins(12, 8, 12, 8)
        lay.addWidget(self.title)
        lay.addWidget(self.subtitle)
        lay.addWidget(self.problem)
        lay.addLayout(buttons)
        lay.addWidget(about)
        lay.addWidget(mem_box)
        lay.addWidget(where)
        lay.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # wrap, never scroll sideways
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)
        self.stack.addWidget(scroll)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)

    def show_info(self, info: Any, active: bool = False) -> None:
        """Show ``info`` (a ``ModelInfo``) or the empty hint for None. ``active``: it is the model in use."""
        self.info = info
        if info is None:
            self.stack.setCurrentIndex(0)
            return
        self.stack.setCurrentIndex(1)
        self.title.setText(info.name)
        self.title.setToolTip(info.name)
        problem = getattr(info, "problem", None)
        bits = [info.quantization or "",
                self.tr("{n} parameters").format(n=human_params(info.parameters)) if info.parameters else "",
                human_size(info.size_bytes)]
        self.subtitle.setText(" · ".join(b for b in bits if b and b != "—"))
        if problem:
            self.problem.show_message(self.tr("This model can't be used: {problem}").format(problem=problem), "error")
        else:
            self.problem.hide()
        self.use_button.setEnabled(not problem and not active)
        self.use_button.setText(self.tr("In use") if active else self.tr("Use this model"))
        from mlxstudio.gui.model.add_folder import in_library

        inside = in_library(info.path)
        self.add_button.setVisible(not inside)  # a folder used where it is: add it, never delete it from here
        self.delete_button.setVisible(inside)
        while self.facts.count():
            item = self.facts.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        chat = self.tr("Yes") if info.has_chat_template else self.tr("No")
        chat_tip = (self.tr("Chat-format data is formatted with the model's own template.") if info.has_chat_template
                    else self.tr("Without a chat template, use completion or plain-text data."))
        from mlxstudio.core.models import read_source

        origin = read_source(Path(info.path))
        linked = [(self.tr("Files in"), self.tr("{get} (linked, not copied)").format(
            get=origin.get('added_from')))] if origin.get("mode") == "link" \
            else []
        for row, (label, value) in enumerate([(self.tr("Architecture"), info.architecture or "—"),
                                              (self.tr("Source"), source_text(info.source)), *linked,
                                              (self.tr("Chat template"), chat),
                                              *config_summary(info.config or {})]):
            v = QLabel(value)
            v.setWordWrap(True)
            v.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            if label == "Chat template":
                v.setToolTip(chat_tip)
            self.facts.addWidget(QLabel(f"{label}:"), row, 0, Qt.AlignmentFlag.AlignTop)
            self.facts.addWidget(v, row, 1)
        self.path.setText(str(info.path))
        self.path.setToolTip(str(info.path))
        self._update_memory()

    def _show_dataset_row(self, visible: bool) -> None:
        self._dataset_label.setVisible(visible)
        self.dataset_memory.setVisible(visible)

    def _spin_changed(self) -> None:
        s = settings.qsettings()
        settings.MEMORY_BATCH.set(self.batch.value(), s)
        settings.MEMORY_SEQ.set(self.seq.value(), s)
        self._update_memory()

    def set_dataset_lengths(self, stats: Any) -> None:
        """The token lengths of the training dataset for this model (``TokenStats`` or None): adds "Your dataset:
        ≈ 1.1 GB (longest row 75 tokens)" under the estimate."""
        self.dataset_lengths = stats
        self._update_memory()

    def _update_memory(self) -> None:
        if self.info is None:
            return
        stats = self.dataset_lengths
        self._show_dataset_row(False)
        self._last_peak_label.setVisible(False)
        self.last_peak.setVisible(False)
        if getattr(self.info, "problem", None):
            self.memory.setText("—")
            return
        n = training_memory(self.info, self.batch.value(), self.seq.value())
        if n is None:
            self.memory.setText(self.tr("— (not available for this model)"))
        else:
            from mlxstudio.gui.train.token_stats import effective_length, measured_peak

            self.memory.setText(f"≈ {human_size(n)}")
            peak = measured_peak(Path(self.info.path).name)
            if peak:
                self.last_peak.setText(self.tr("{peak} measured peak").format(peak=human_size(int(peak))))
                self._last_peak_label.setVisible(True)
                self.last_peak.setVisible(True)
            if stats is not None:
                length = effective_length(self.seq.value(), stats)
                m = training_memory(self.info, self.batch.value(), length, dataset_tokens=int(stats.rows * stats.mean))
                if m is not None:
                    self.dataset_memory.setText(self.tr("≈ {m} (longest row {longest} tokens, {rows} rows)").format(
                        m=human_size(m), longest=stats.longest, rows=stats.rows))
                    self._show_dataset_row(True)
            self.memory.setToolTip(self.tr("Model weights, LoRA weights with optimizer state, and activations for one "
                                   "training step when every row is this long. Short prompt/answer pairs need "
                                   "much less. Lower the batch size or the sequence length if it is more memory "
                                   "than your machine has."))
