"""Live training curves (pyqtgraph): train + validation loss on top, learning rate + tokens/s below.

Points are buffered as they arrive and drawn by a timer at most :data:`MAX_REDRAWS_PER_SECOND` times a second
(one ``PlotDataItem`` per curve, updated with ``setData``; peak downsampling and clip-to-view keep a 100,000-step run
smooth). Checkpoints are markers on the loss curve; clicking one emits :attr:`LivePlots.checkpoint_clicked`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mlxstudio.gui.i18n import translate

MAX_REDRAWS_PER_SECOND = 10

# Mid-saturation colours that stay readable on light and dark backgrounds.
TRAIN_COLOR = "#3b82f6"
VAL_COLOR = "#f97316"
LR_COLOR = "#22a06b"
TPS_COLOR = "#a855f7"
CKPT_COLOR = "#e11d48"


class Series:
    """A growable (x, y) buffer backed by numpy arrays (amortised O(1) append, no list → array copy per redraw)."""

    def __init__(self, capacity: int = 256) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self.n = 0
        self.dirty = False

    def append(self, x: float, y: float) -> None:
        """Add a point. A point at or before the last x first drops the tail (a resumed run rewrites history)."""
        if self.n and x <= self._x[self.n - 1]:
            self.truncate(x)
        if self.n == len(self._x):
            self._x = np.resize(self._x, 2 * self.n)
            self._y = np.resize(self._y, 2 * self.n)
        self._x[self.n] = x
        self._y[self.n] = y
        self.n += 1
        self.dirty = True

    def truncate(self, x: float) -> None:
        """Drop every point with x ≥ ``x``."""
        keep = int(np.searchsorted(self._x[: self.n], x, side="left"))
        if keep != self.n:
            self.n = keep
            self.dirty = True

    def clear(self) -> None:
        """Drop every point."""
        self.n = 0
        self.dirty = True

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.n]

    def value_at(self, x: float) -> tuple[float, float] | None:
        """The point whose x is nearest to ``x`` (None when empty)."""
        if not self.n:
            return None
        xs = self.x
        i = int(np.searchsorted(xs, x))
        if i >= self.n or (i > 0 and abs(xs[i - 1] - x) <= abs(xs[i] - x)):
            i -= 1
        return float(xs[i]), float(self._y[i])


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and math.isfinite(v)


class LivePlots(QWidget):
    """The two live plots of a training run, plus a hover read-out line above them."""

    checkpoint_clicked = Signal(int, str)
    """(iteration, checkpoint path) — the user clicked a checkpoint marker."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pal = self.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        self._legend: Any = None
        self.redraws = 0  # how many times curves were actually redrawn (the benchmark and tests read it)

        self.readout = QLabel(" ")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.loss_plot = pg.PlotWidget(background=bg)
        self.rate_plot = pg.PlotWidget(background=bg)
        for w in (self.loss_plot, self.rate_plot):
            item = w.getPlotItem()
            for name in ("left", "bottom", "right"):
                ax = item.getAxis(name)
                ax.setPen(pg.mkPen(fg))
                ax.setTextPen(pg.mkPen(fg))
                ax.setStyle(maxTickLevel=1)  # no finest grid level: painting it cost ~3x the rest of a redraw
            item.showGrid(x=True, y=True, alpha=0.15)
            item.setDownsampling(auto=True, mode="peak")
            item.setClipToView(True)
            item.setMenuEnabled(True)
        lp = self.loss_plot.getPlotItem()
        lp.setLabel("left", self.tr("loss"))
        legend_bg = pal.color(QPalette.ColorRole.Base)
        legend_bg.setAlpha(210)
        self._legend = lp.addLegend(offset=(-10, 10), labelTextColor=fg, brush=pg.mkBrush(legend_bg))
        self.train_curve = lp.plot(name=self.tr("train loss"), pen=pg.mkPen(TRAIN_COLOR, width=2))
        self.val_curve = lp.plot(name=self.tr("validation loss"), pen=pg.mkPen(VAL_COLOR, width=2),
                                 symbol="o", symbolSize=6, symbolBrush=VAL_COLOR, symbolPen=None)
        self.ckpt_markers = pg.ScatterPlotItem(size=13, symbol="d", brush=pg.mkBrush(CKPT_COLOR),
                                               pen=pg.mkPen(fg), hoverable=True, hoverSize=17,
                                               tip=self._marker_tip, name=self.tr("checkpoint"))
        lp.addItem(self.ckpt_markers)
        self.ckpt_markers.sigClicked.connect(self._on_marker_clicked)

        rp = self.rate_plot.getPlotItem()
        rp.setLabel("bottom", self.tr("iteration"))
        for item in (lp, rp):
            item.getAxis("bottom").enableAutoSIPrefix(False)  # iterations are counted: never "(x0.001)"
        rp.setLabel("left", "LR", color=LR_COLOR)
        rp.setXLink(lp)
        self.lr_curve = rp.plot(pen=pg.mkPen(LR_COLOR, width=2))
        # tokens/s lives on a second view box linked to the right axis.
        self.tps_view = pg.ViewBox()
        rp.showAxis("right")
        rp.scene().addItem(self.tps_view)
        rp.getAxis("right").linkToView(self.tps_view)
        rp.getAxis("right").setLabel(self.tr("tokens/s"), color=TPS_COLOR)
        self.tps_view.setXLink(rp)
        self.tps_curve = pg.PlotDataItem(pen=pg.mkPen(TPS_COLOR, width=1.5))
        self.tps_curve.setDownsampling(auto=True, method="peak")
        self.tps_curve.setClipToView(True)
        self.tps_view.addItem(self.tps_curve)
        rp.vb.sigResized.connect(self._sync_tps_view)
        # Same axis widths on both plots so their iterations line up vertically.
        lp.showAxis("right")
        lp.getAxis("right").setStyle(showValues=False)
        for item in (lp, rp):
            item.getAxis("left").setWidth(58)
            item.getAxis("right").setWidth(58)

        self._hover_lines = []
        for w in (self.loss_plot, self.rate_plot):
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(fg, style=Qt.PenStyle.DotLine))
            line.setVisible(False)
            w.getPlotItem().addItem(line, ignoreBounds=True)
            self._hover_lines.append(line)
            w.scene().sigMouseMoved.connect(lambda pos, w=w: self._on_mouse_moved(w, pos))

        self.train = Series()
        self.val = Series()
        self.lr = Series()
        self.tps = Series()
        self._series = {self.train: self.train_curve, self.val: self.val_curve,
                        self.lr: self.lr_curve, self.tps: self.tps_curve}
        self.checkpoints: dict[int, str] = {}
        self._ckpt_dirty = False
        self._overlays: dict[str, list[pg.PlotDataItem]] = {}

        self.log_y = QCheckBox(self.tr("Log scale"))
        self.log_y.setToolTip(self.tr("Show the loss on a logarithmic axis (small losses near 0 become visible)"))
        self.log_y.toggled.connect(self._set_log_y)
        head = QHBoxLayout()
        head.addWidget(self.readout, 1)
        head.addWidget(self.log_y)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.loss_plot, 3)
        lay.addWidget(self.rate_plot, 2)
        self.rate_plot.setMinimumHeight(90)
        self.loss_plot.setMinimumHeight(140)

        self._apply_palette()
        self._timer = QTimer(self)
        self._timer.setInterval(1000 // MAX_REDRAWS_PER_SECOND)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    # -- colours -----------------------------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        """Background, axes, legend and hover lines from the palette (again when it changes: dark mode)."""
        pal = self.palette()
        bg = pal.color(QPalette.ColorRole.Base)
        fg = pal.color(QPalette.ColorRole.Text)
        for w in (self.loss_plot, self.rate_plot):
            w.setBackground(bg)
            item = w.getPlotItem()
            for name in ("left", "bottom", "right"):
                ax = item.getAxis(name)
                ax.setPen(pg.mkPen(fg))
                ax.setTextPen(pg.mkPen(fg))
        for name, color in (("left", None), ("bottom", None)):
            ax = self.loss_plot.getPlotItem().getAxis(name)
            if ax.labelText:
                ax.setLabel(ax.labelText, color=color or fg.name())
        rp = self.rate_plot.getPlotItem()
        rp.getAxis("bottom").setLabel(self.tr("iteration"), color=fg.name())
        rp.getAxis("left").setLabel("LR", units=rp.getAxis("left").labelUnits or None, color=LR_COLOR)
        rp.getAxis("right").setLabel(self.tr("tokens/s"), color=TPS_COLOR)
        if self._legend is not None:
            legend_bg = pal.color(QPalette.ColorRole.Base)
            legend_bg.setAlpha(210)
            self._legend.setBrush(pg.mkBrush(legend_bg))
            self._legend.setLabelTextColor(fg)
            for _sample, label in self._legend.items:  # setLabelTextColor does not re-render existing labels
                label.setText(label.text, color=fg)
        for line in getattr(self, "_hover_lines", []):
            line.setPen(pg.mkPen(fg, style=Qt.PenStyle.DotLine))
        self.ckpt_markers.setPen(pg.mkPen(fg))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()

    # -- feeding points ----------------------------------------------------------------------------------------
    def add_train(self, iteration: int, loss: float, learning_rate: float | None = None,
                  tokens_per_second: float | None = None) -> None:
        """Buffer one training report (drawn on the next tick). Non-finite values are not plotted."""
        if _finite(loss):
            self.train.append(iteration, loss)
        else:
            self.train.truncate(iteration)
        if _finite(learning_rate):
            self.lr.append(iteration, float(learning_rate))  # type: ignore[arg-type]
        if _finite(tokens_per_second):
            self.tps.append(iteration, float(tokens_per_second))  # type: ignore[arg-type]
        self._drop_checkpoints_after(iteration)

    def add_val(self, iteration: int, loss: float) -> None:
        """Buffer one validation report."""
        if _finite(loss):
            self.val.append(iteration, loss)
        else:
            self.val.truncate(iteration)

    def add_checkpoint(self, iteration: int, path: str) -> None:
        """Mark a checkpoint at ``iteration`` (clickable)."""
        self.checkpoints[int(iteration)] = str(path)
        self._ckpt_dirty = True

    def remove_checkpoint(self, iteration: int) -> None:
        """Remove the marker at ``iteration`` (the checkpoint was deleted)."""
        if self.checkpoints.pop(int(iteration), None) is not None:
            self._ckpt_dirty = True

    def truncate(self, iteration: int) -> None:
        """Forget everything after ``iteration`` (resuming from a checkpoint at ``iteration``)."""
        for s in self._series:
            s.truncate(iteration + 1)
        self._drop_checkpoints_after(iteration + 1)

    def _drop_checkpoints_after(self, iteration: int) -> None:
        stale = [it for it in self.checkpoints if it > iteration]
        for it in stale:
            del self.checkpoints[it]
        if stale:
            self._ckpt_dirty = True

    def load_history(self, metrics: Iterable[Mapping[str, Any]], checkpoints: Mapping[int, str] | None = None) -> None:
        """Replace the curves with a run's recorded metrics (``metrics.jsonl`` records) and checkpoints."""
        self.clear()
        for rec in metrics:
            it = rec.get("iteration")
            if not isinstance(it, int):
                continue
            if "train_loss" in rec:
                self.add_train(it, rec["train_loss"], rec.get("learning_rate"), rec.get("tokens_per_second"))
            if "val_loss" in rec:
                self.add_val(it, rec["val_loss"])
        for it, path in (checkpoints or {}).items():
            self.add_checkpoint(it, path)
        self.flush()
        # the rate plot follows the loss plot's x (linked); its y axes keep the 0-based range flush() gave them
        # (auto-range put a constant learning rate mid-axis, on a 100…300 scale)
        self.loss_plot.getPlotItem().enableAutoRange()

    def show_iterations(self, total: int) -> None:
        """Fix the iteration axis at 0…``total`` for a run that starts or resumes: the curve grows across it (with
        only the validation point at iteration 0, auto-range showed iterations -0.4…0.4). Zooming still works;
        :meth:`load_history` goes back to auto-range."""
        if total > 0:
            self.loss_plot.getPlotItem().setXRange(0, total, padding=0.02)  # the rate plot is x-linked

    def clear(self) -> None:
        """Remove every point and checkpoint marker of the current run (overlays stay)."""
        for s in self._series:
            s.clear()
        self.checkpoints.clear()
        self._ckpt_dirty = True
        self.flush()

    # -- overlays ----------------------------------------------------------------------------------------------
    def set_overlay(self, name: str, metrics: Iterable[Mapping[str, Any]]) -> None:
        """Draw another run's train/validation loss dashed on the loss plot, for comparison."""
        self.remove_overlay(name)
        tr, va = Series(), Series()
        for rec in metrics:
            it = rec.get("iteration")
            if not isinstance(it, int):
                continue
            if _finite(rec.get("train_loss")):
                tr.append(it, rec["train_loss"])
            if _finite(rec.get("val_loss")):
                va.append(it, rec["val_loss"])
        lp = self.loss_plot.getPlotItem()
        items = []
        for series, label, color in ((tr, "train", TRAIN_COLOR), (va, "val", VAL_COLOR)):
            if series.n:
                items.append(lp.plot(series.x.copy(), series.y.copy(), name=f"{name} · {label}",
                                     pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine)))
        self._overlays[name] = items

    def remove_overlay(self, name: str | None = None) -> None:
        """Remove one overlay (or all when ``name`` is None)."""
        lp = self.loss_plot.getPlotItem()
        for key in [name] if name is not None else list(self._overlays):
            for item in self._overlays.pop(key, []):
                lp.removeItem(item)

    @property
    def overlays(self) -> list[str]:
        return list(self._overlays)

    # -- drawing -----------------------------------------------------------------------------------------------
    def _tick(self) -> None:
        if self.isVisible():  # a hidden page (the user is on another step) draws when it is shown again
            self.flush()

    def flush(self) -> None:
        """Push buffered points to the curves (called by the redraw timer; cheap when nothing changed)."""
        drew = False
        for s, curve in self._series.items():
            if s.dirty:
                curve.setData(s.x, s.y)
                s.dirty = False
                drew = True
                if s is self.lr or s is self.tps:  # rates start at 0 (a constant LR must not sit mid-axis)
                    self._fit_rate_axis(s)
        if self._ckpt_dirty:
            spots = []
            for it, path in sorted(self.checkpoints.items()):
                near = self.train.value_at(it)
                y = near[1] if near else 0.0
                if self.log_y.isChecked():
                    y = math.log10(y) if y > 0 else 0.0
                spots.append({"pos": (it, y), "data": (it, path)})
            self.ckpt_markers.setData(spots)
            self._ckpt_dirty = False
            drew = True
        if drew:
            self.redraws += 1

    def _fit_rate_axis(self, s: Series) -> None:
        top = float(s.y.max()) if s.n else 1.0
        top = top * 1.1 if top > 0 else 1.0
        view = self.rate_plot.getPlotItem().vb if s is self.lr else self.tps_view
        lo, hi = view.viewRange()[1]
        if lo != 0.0 or not (0.95 * top <= hi <= 1.25 * top):  # re-layout the axis only when it is off by > ~10%
            view.setYRange(0.0, top, padding=0)

    def _set_log_y(self, on: bool) -> None:
        self.loss_plot.getPlotItem().setLogMode(y=on)
        self._ckpt_dirty = True  # scatter markers are placed in view coordinates
        self.flush()

    def _sync_tps_view(self) -> None:
        rp = self.rate_plot.getPlotItem()
        self.tps_view.setGeometry(rp.vb.sceneBoundingRect())
        self.tps_view.linkedViewChanged(rp.vb, self.tps_view.XAxis)

    # -- interaction -------------------------------------------------------------------------------------------
    @staticmethod
    def _marker_tip(x: float, y: float, data: Any) -> str:
        it = data[0] if isinstance(data, tuple) else int(x)
        return translate("LivePlots", "Checkpoint at iteration {it}\nClick to test it").format(it=it)

    def _on_marker_clicked(self, _item: Any, points: Any, _ev: Any = None) -> None:
        if len(points):
            it, path = points[0].data()
            self.checkpoint_clicked.emit(int(it), str(path))

    def readout_at(self, x: float) -> str:
        """The hover text for iteration ``x``: nearest train loss, validation loss, learning rate and tokens/s."""
        parts = []
        near = self.train.value_at(x)
        if near is None:
            return ""
        it = near[0]
        parts.append(self.tr("iteration {it}").format(it=int(it)))
        parts.append(self.tr("train loss {near:.4g}").format(near=near[1]))
        v = self.val.value_at(it)
        if v is not None:
            parts.append(self.tr("val loss {v:.4g} (it {v2})").format(v=v[1], v2=int(v[0])))
        lr = self.lr.value_at(it)
        if lr is not None:
            parts.append(f"lr {lr[1]:.3g}")
        tps = self.tps.value_at(it)
        if tps is not None:
            parts.append(f"{tps[1]:,.0f} tok/s")
        return " · ".join(parts)

    def _on_mouse_moved(self, widget: pg.PlotWidget, pos: QPointF) -> None:
        vb = widget.getPlotItem().vb
        if not vb.sceneBoundingRect().contains(pos) or not self.train.n:
            return
        x = vb.mapSceneToView(pos).x()
        text = self.readout_at(x)
        near = self.train.value_at(x)
        for line in self._hover_lines:
            line.setVisible(near is not None)
            if near is not None:
                line.setPos(near[0])
        self.readout.setText(text or " ")
