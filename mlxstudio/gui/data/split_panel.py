"""The “Split” panel: valid/test fractions and a seed, a live preview of the counts, and Save Split…"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core.dataset import split_counts
from mlxstudio.core.errors import UserError
from mlxstudio.gui import icons


class SplitPanel(QWidget):
    """Fractions + seed + preview; emits :attr:`save_requested` when the person clicks Save Split…"""

    save_requested = Signal()
    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("split-panel")
        self.valid = self._fraction("valid-fraction", 10.0, "Share of rows held out to measure validation loss.")
        self.test = self._fraction("test-fraction", 0.0, "Share of rows kept for testing after training "
                                                        "(the Fuse & Test page can evaluate them).")
        self.seed = QSpinBox()
        self.seed.setObjectName("split-seed")
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setToolTip("The same seed always gives the same split.")
        self.seed.valueChanged.connect(self.changed)
        self.preview = QLabel()
        self.preview.setObjectName("split-preview")
        self.preview.setWordWrap(True)
        self.leakage = QLabel()
        self.leakage.setObjectName("split-leakage")
        self.leakage.setWordWrap(True)
        self.saved = QLabel()
        self.saved.setObjectName("split-saved")
        self.saved.setWordWrap(True)
        self.save_button = QPushButton(icons.icon("open"), "Save Split for Training…")
        self.save_button.setObjectName("save-split")
        self.save_button.setToolTip("Writes train.jsonl, valid.jsonl (and test.jsonl) into a dataset folder that the "
                                    "Train page uses.")
        self.save_button.clicked.connect(self.save_requested)
        form = QFormLayout()
        form.addRow("Validation %", self.valid)
        form.addRow("Test %", self.test)
        form.addRow("Seed", self.seed)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(form)
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
        return self.valid.value() / 100.0, self.test.value() / 100.0

    def update_preview(self, rows: int, errors: int) -> None:
        """Show how many rows each split would get; disable saving while there are errors."""
        self._rows = rows
        valid, test = self.fractions()
        try:
            n_train, n_valid, n_test = split_counts(rows, valid, test)
        except UserError as exc:
            self.preview.setText(str(exc))
            self.save_button.setEnabled(False)
            return
        self.preview.setText(f"train {n_train} · valid {n_valid} · test {n_test} rows")
        if errors:
            self.preview.setText(self.preview.text() + f"\nFix the {errors} error{'s' if errors != 1 else ''} "
                                 "listed under Problems first.")
            self.save_button.setEnabled(False)
            self.save_button.setToolTip(f"Fix the {errors} error{'s' if errors != 1 else ''} first (see Problems).")
        else:
            self.save_button.setEnabled(rows > 0)
            self.save_button.setToolTip("Writes train.jsonl, valid.jsonl (and test.jsonl) into a dataset folder "
                                        "that the Train page uses.")
