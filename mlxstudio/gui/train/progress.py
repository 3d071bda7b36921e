"""The strip under the plots: a progress bar and "iteration · elapsed · ETA · tok/s · peak memory"."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from mlxstudio.gui.i18n import translate


def format_duration(seconds: float | None) -> str:
    """``75`` → ``"1:15"``, ``3725`` → ``"1:02:05"``; None/negative/inf → ``"–"``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "–"
    s = round(seconds)
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def format_span(seconds: float | None) -> str:
    """A duration with units, for estimates: ``45`` → ``"45 s"``, ``77`` → ``"1 min 17 s"``, ``3900`` →
    ``"1 h 05 min"`` ("≈ 1:17" could be read as an hour and 17 minutes); None/negative/inf → ``"–"``."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "–"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        m, sec = divmod(s, 60)
        return translate("progress", "{m} min {sec:02d} s").format(m=m, sec=sec) if m < 10 else translate(
            "progress", "{m} min").format(m=m)
    h, m = divmod(round(s / 60), 60)
    return translate("progress", "{h} h {m:02d} min").format(h=h, m=m)


def format_bytes(n: float | None) -> str:
    """``1.5e9`` → ``"1.5 GB"`` (decimal units, as Activity Monitor shows them)."""
    if n is None or not math.isfinite(n) or n <= 0:
        return "–"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1000
    return "–"  # pragma: no cover


def eta_seconds(iteration: int, total: int, elapsed: float) -> float | None:
    """Remaining time at the average speed so far (None before the first iteration or without a total)."""
    if iteration <= 0 or total <= 0 or elapsed <= 0:
        return None
    return max(0.0, elapsed / iteration * (total - iteration))


class ProgressStrip(QWidget):
    """Progress bar plus one line of numbers. Feed it with :meth:`update_report`; :meth:`reset` between runs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%v / %m")
        self.bar.setMaximumWidth(260)
        self.label = QLabel()
        self.label.setWordWrap(True)  # wraps at the " · " in a narrow window instead of widening it
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.bar, 1)
        lay.addWidget(self.label, 2)
        self.reset()

    def reset(self, total: int = 0, start_iteration: int = 0) -> None:
        """Empty strip for a run of ``total`` iterations starting (or resuming) at ``start_iteration``."""
        self._first: tuple[int, float] | None = None  # (iteration, elapsed) of this session's first report
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(start_iteration)
        self.bar.setFormat("%v / %m" if total else "")
        self.iteration = start_iteration
        self.total = total
        self.label.setText(
            self.tr("Not started") if not start_iteration else self.tr("iteration {start_iteration}/{total}").format(
            start_iteration=start_iteration, total=total))

    def update_report(self, iteration: int, total: int, elapsed: float, tokens_per_second: float,
                      peak_memory_gb: float) -> None:
        """Show a training report. ``elapsed`` is the run's training time (across resumes), as the engine reports
        it."""
        total = total or self.total
        self.iteration, self.total = iteration, total
        if total:
            self.bar.setRange(0, total)
            self.bar.setFormat("%v / %m")
        self.bar.setValue(min(iteration, max(total, 1)))
        # ``elapsed`` is the run's training time so far (a resumed run continues its clock): the speed is this
        # session's once it has two reports, the run's average before (the ETA said 1:40:14 instead of ~5 min
        # after a resume when this session's one iteration was divided into the whole run's time)
        if self._first is None:
            self._first = (iteration, elapsed)
        it0, e0 = self._first
        if iteration > it0 and elapsed > e0:
            eta = eta_seconds(iteration - it0, total - it0, elapsed - e0) if total else None
        else:
            eta = eta_seconds(iteration, total, elapsed) if total else None
        parts = [
            self.tr("iteration {iteration}/{total}").format(
                iteration=iteration, total=total) if total else self.tr("iteration {iteration}").format(
                iteration=iteration),
            self.tr("elapsed {duration}").format(duration=format_duration(elapsed)),
            self.tr("ETA {duration}").format(duration=format_duration(eta)),
            f"{tokens_per_second:,.0f} tok/s",
            self.tr("peak memory {format_bytes}").format(format_bytes=format_bytes(peak_memory_gb * 1e9)),
        ]
        self.label.setText(" · ".join(parts))

    def set_message(self, text: str, iteration: int | None = None) -> None:
        """Replace the numbers with a short status (e.g. "Stopped at iteration 30 — adapter saved"); ``iteration``
        also moves the bar there (a stop lands between reports: the bar said 15 / 60 beside "Stopped at 19")."""
        self.label.setText(text)
        if iteration is not None and self.total:
            self.iteration = iteration
            self.bar.setValue(min(iteration, self.total))
