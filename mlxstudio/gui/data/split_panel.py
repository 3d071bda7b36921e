"""The “Split” panel: valid/test fractions and a seed, a live preview of the counts, and Save Split…"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core.data import split_counts
from mlxstudio.core.errors import UserError
from mlxstudio.gui import icons

SMALL_SET_ROWS = 20
"""Below this many rows, "train on every row" starts switched on: holding out one of a handful of examples means the
model never learns it, and a validation loss on one or two unseen rows says nothing useful."""


class SplitPanel(QWidget):
    """Fractions + seed + preview; emits :attr:`save_requested` when the person clicks Save Split…"""

    save_requested = Signal()
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("split-panel")
        self.valid = self._fraction("valid-fraction", 10.0,
            self.tr("Share of rows held out to measure validation loss."))
        self.test = self._fraction("test-fraction", 0.0, self.tr("Share of rows kept for testing after training "
                                                        "(the Fuse & Test page can evaluate them)."))
        self.seed = QSpinBox()
        self.seed.setObjectName("split-seed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip(self.tr("The same seed always gives the same split."))
        self.seed.valueChanged.connect(self.changed)
        self.train_all = QCheckBox(self.tr("Train on every row (validate on the same rows)"))
        self.train_all.setObjectName("split-train-all")
        self.train_all.setToolTip(
            self.tr("For small sets (under {SMALL_SET_ROWS} rows, where it starts switched "
                "on): every row is trained and the validation loss is measured on the "
                "training rows, so it shows how well they are memorized — not how the "
                "model does on new questions. Test rows (if any) are still held out.").format(
                SMALL_SET_ROWS=SMALL_SET_ROWS))
        self.train_all.toggled.connect(self._train_all_toggled)
        self._train_all_touched = False
        self.preview = QLabel()
        self.preview.setObjectName("split-preview")
        self.preview.setWordWrap(True)
        self.leakage = QLabel()
        self.leakage.setObjectName("split-leakage")
        self.leakage.setWordWrap(True)
        self.saved = QLabel()
        self.saved.setObjectName("split-saved")
        self.saved.setWordWrap(True)
        self.save_button = QPushButton(icons.icon("open"),
            self.tr("Save Split for Training"))  # no "…": it asks nothing
        self.save_button.setObjectName("save-split")
        self.save_button.setToolTip(
            self.tr("Writes train.jsonl, valid.jsonl (and test.jsonl) into a dataset folder that the "
                                    "Train page uses."))
        self.save_button.clicked.connect(self.save_requested)
        form = QFormLayout()
        form.addRow(self.tr("Validation %"), self.valid)
        form.addRow(self.tr("Test %"), self.test)
        form.addRow(self.tr("Seed"), self.seed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
        lay.addWidget(self.train_all)
        lay.addWidget(self.preview)
        lay.addWidget(self.leakage)
        lay.addWidget(self.save_button)
        lay.addWidget(self.saved)
        lay.addStretch(1)
        self._rows = 0

    def _fraction(self, name: str, value: float, tip: str) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setObjectName(name)
        box.setRange(0.0, 90.0)
        box.setDecimals(1)
        box.setSingleStep(5.0)
        box.setSuffix(" %")
        box.setValue(value)
        box.setToolTip(tip)
        box.valueChanged.connect(self.changed)
        return box

    def fractions(self) -> tuple[float, float]:
        """(valid, test) fractions of the split (valid is 0 when every row is trained)."""
        return (0.0 if self.train_all.isChecked() else self.valid.value() / 100.0), self.test.value() / 100.0

    def _train_all_toggled(self, on: bool) -> None:
        if not self._setting_auto:
            self._train_all_touched = True  # the person chose: no more automatic switching
        self.valid.setEnabled(not on)
        self.changed.emit()

    _setting_auto = False

    def _auto_train_all(self, rows: int) -> None:
        if self._train_all_touched:
            return
        self._setting_auto = True
        try:
            self.train_all.setChecked(0 < rows < SMALL_SET_ROWS)
        finally:
            self._setting_auto = False

    def update_preview(self, rows: int, errors: int) -> None:
        """Show how many rows each split would get; disable saving while there are errors."""
        self._rows = rows
        self._auto_train_all(rows)
        valid, test = self.fractions()
        try:
            n_train, n_valid, n_test = split_counts(rows, valid, test)
        except UserError as exc:
            self.preview.setText(str(exc))
            self.save_button.setEnabled(False)
            return
        if self.train_all.isChecked():
            self.preview.setText(self.tr("train {n_train} · valid {n_train2} (the same rows) · test {n_test} "
                                     "rows").format(n_train=n_train, n_train2=n_train, n_test=n_test))
        else:
            self.preview.setText(self.tr("train {n_train} · valid {n_valid} · test {n_test} rows").format(
                n_train=n_train, n_valid=n_valid, n_test=n_test))
        if errors:
            self.preview.setText(self.preview.text() +
                self.tr("\nFix the {errors} error{value} listed under Problems first.").format(
                errors=errors, value='s' if errors != 1 else ''))
            self.save_button.setEnabled(False)
            self.save_button.setToolTip(self.tr("Fix the {errors} error{value} first (see Problems).").format(
                errors=errors, value='s' if errors != 1 else ''))
        else:
            self.save_button.setEnabled(rows > 0)
            self.save_button.setToolTip(
                self.tr("Writes train.jsonl, valid.jsonl (and test.jsonl) into a dataset folder "
                                        "that the Train page uses."))
