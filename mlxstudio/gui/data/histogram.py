"""Histogram of row lengths in tokens, with the maximum-sequence-length line and the count of truncated rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget


def histogram_bins(lengths: Sequence[int], bins: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(counts, edges) of the lengths: integer-width bins, about 2·√n of them (5…40), so few rows still show bars."""
    arr = np.asarray(lengths, dtype=np.int64)
    if bins is None:
        bins = int(min(40, max(5, 2 * np.sqrt(len(arr)))))
    lo, hi = int(arr.min()), int(arr.max())
    width = max(1, int(np.ceil((hi - lo + 1) / bins)))
    edges = np.arange(lo, hi + width + 1, width, dtype=np.float64)
    counts, edges = np.histogram(arr, bins=edges)
    return counts, edges


class LengthHistogram(QWidget):
    """The “Lengths” panel: max-sequence-length setting, histogram, and a summary line."""

    max_seq_length_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("length-histogram")
        self.max_len = QSpinBox()
        self.max_len.setObjectName("max-seq-length")
        self.max_len.setRange(16, 131072)
        self.max_len.setSingleStep(256)
        self.max_len.setValue(2048)
        self.max_len.setToolTip(
            self.tr("Maximum sequence length in training (mlx-lm's --max-seq-length, default 2048). "
                                "Longer rows are cut off at this many tokens."))
        self.max_len.valueChanged.connect(self._changed)
        self.summary = QLabel(self.tr("Token lengths appear once a model is chosen."))
        self.summary.setObjectName("length-summary")
        self.summary.setWordWrap(True)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("length-plot")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.setLabel("bottom", self.tr("tokens per row"))
        self.plot.setLabel("left", self.tr("rows"))
        self.plot.setMinimumHeight(140)
        self.bars: pg.BarGraphItem | None = None
        self.line = pg.InfiniteLine(angle=90, movable=False)
        self.plot.addItem(self.line)
        self._apply_palette()
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Max sequence length")))
        row.addWidget(self.max_len)
        row.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(row)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.summary)
        self.lengths: list[int] = []

    def changeEvent(self, event: Any) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # dark mode switched on or off
            self._apply_palette()
            if getattr(self, "lengths", None):
                self.set_lengths(self.lengths, getattr(self, "_missing", 0))

    def _apply_palette(self) -> None:
        pal = self.palette()
        self.plot.setBackground(pal.color(QPalette.ColorRole.Base))
        fg = pal.color(QPalette.ColorRole.Text)
        for axis in ("bottom", "left"):
            ax = self.plot.getAxis(axis)
            ax.setPen(pg.mkPen(fg))
            ax.setTextPen(pg.mkPen(fg))
        self.line.setPen(pg.mkPen(pal.color(QPalette.ColorRole.Highlight), width=2,
                                  style=pg.QtCore.Qt.PenStyle.DashLine))

    def _fit_range(self) -> None:
        """Show the data; include the max-length line when it is near the data (else the summary says it)."""
        if not self.lengths:
            return
        top = max(self.lengths)
        limit = self.max_len.value()
        right = max(top, limit) if limit <= top * 1.5 else top
        self.plot.setXRange(0, right * 1.05 + 1, padding=0)

    def _changed(self, value: int) -> None:
        self.line.setValue(value)
        self._fit_range()
        self._update_summary()
        self.max_seq_length_changed.emit(value)

    def set_lengths(self, lengths: Sequence[int], missing: int = 0) -> None:
        """Show the token lengths of the rows (``missing`` rows could not be counted)."""
        self.lengths = list(lengths)
        self._missing = missing
        if self.bars is not None:
            self.plot.removeItem(self.bars)
            self.bars = None
        if self.lengths:
            counts, edges = histogram_bins(self.lengths)
            pal = self.palette()
            brush = pg.mkBrush(pal.color(QPalette.ColorRole.Highlight))
            self.bars = pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=counts, brush=brush,
                                        pen=pg.mkPen(pal.color(QPalette.ColorRole.Base)))
            self.plot.addItem(self.bars)
            rows_axis = self.plot.getAxis("left")
            if int(np.max(counts)) <= 10:
                rows_axis.setTickSpacing(1, 1)  # whole rows: no "0.5 rows" ticks for a handful of rows
            else:
                rows_axis.setTickSpacing()
            self._fit_range()
        self.line.setValue(self.max_len.value())
        self._update_summary()

    def truncated_rows(self) -> int:
        """Rows longer than the maximum sequence length."""
        limit = self.max_len.value()
        return sum(n > limit for n in self.lengths)

    def _update_summary(self) -> None:
        if not self.lengths:
            return
        arr = np.asarray(self.lengths)
        over = self.truncated_rows()
        text = (self.tr("{n} rows · min {min} · mean {mean:.0f} · max {max} tokens · {over} "
                    "row{value} longer than {value2} would be truncated").format(n=len(arr), min=arr.min(),
                            mean=arr.mean(), max=arr.max(), over=over, value='s' if over != 1 else '',
                    value2=self.max_len.value()))
        if getattr(self, "_missing", 0):
            text += self.tr(" · {missing} rows not counted (fix their problems)").format(missing=self._missing)
        self.summary.setText(text)
