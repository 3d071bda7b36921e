"""The GGUF import options dialog: what the file is (architecture, tensor types, from its header) and the weight
format of the imported model (automatic, float16, bfloat16, or re-quantized to MLX 8-/4-bit)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from mlxstudio.core.models.gguf.reader import GGUFInfo


class GGUFImportDialog(QDialog):
    """Shows the checked file's header and lets the user pick the weight format (:attr:`weight_format`)."""

    def __init__(self, path: Path, info: GGUFInfo, gpu: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Import a GGUF Model"))
        types = ", ".join(f"{t} × {n}" for t, n in sorted(info.type_counts.items(), key=lambda kv: -kv[1]))
        exact = set(info.type_counts) <= {"F32", "F16", "BF16", "Q4_0", "Q4_1", "Q8_0"}
        if exact:
            auto = self.tr("Automatic: keep the file's quantization exactly (recommended)")
        elif gpu:
            auto = self.tr("Automatic: dequantize, then MLX 4-bit (recommended on this GPU)")
        else:
            auto = self.tr("Automatic: dequantize to float16 (recommended on the CPU)")
        self.combo = QComboBox()
        for key, label in (("auto", auto),
                           ("float16", self.tr("float16 (exact for most files, 2 bytes per weight)")),
                           ("bfloat16", self.tr("bfloat16 (2 bytes per weight; best for Gemma)")),
                           ("q8", self.tr("MLX 8-bit (re-quantized, about 1 byte per weight)")),
                           ("q4", self.tr("MLX 4-bit (re-quantized, smallest; slight quality loss)"))):
            self.combo.addItem(label, key)
        form = QFormLayout()
        form.addRow(self.tr("File:"), QLabel(path.name))
        form.addRow(self.tr("Architecture:"), QLabel(info.architecture or "?"))
        type_label = QLabel(types)
        type_label.setWordWrap(True)
        form.addRow(self.tr("Tensor types:"), type_label)
        form.addRow(self.tr("Weights:"), self.combo)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Import"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @property
    def weight_format(self) -> str:
        return str(self.combo.currentData())
