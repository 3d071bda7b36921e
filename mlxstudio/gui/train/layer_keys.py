"""The Train form's "Layers to adapt" choice (TrainConfig.lora_keys, mlx-lm's ``lora_parameters.keys``).

A few named sets of a block's projections (llama/Qwen names, which most mlx-lm models share), every linear layer by
default (mlx-lm's own default when a config names no keys); a file's other list is shown as one more item.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget

ATTENTION_QV = ["self_attn.q_proj", "self_attn.v_proj"]
ATTENTION = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj"]
MLP = ["mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]


class LayerKeysCombo(QComboBox):
    """Choose which layers of each trained block get adapters; :meth:`keys` / :meth:`set_keys`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._sets: list[list[str]] = []
        for label, keys in ((self.tr("All linear layers (mlx-lm's default)"), []),
                            (self.tr("Attention q and v (mlx-lm's example)"), ATTENTION_QV),
                            (self.tr("Attention (q, k, v, o)"), ATTENTION),
                            (self.tr("Feed-forward (gate, up, down)"), MLP)):
            self._add(label, keys)

    def _add(self, label: str, keys: list[str]) -> None:
        self._sets.append(list(keys))
        self.addItem(label)
        if keys:
            self.setItemData(self.count() - 1, ", ".join(keys), Qt.ItemDataRole.ToolTipRole)

    def keys(self) -> list[str]:
        i = self.currentIndex()
        return list(self._sets[i]) if 0 <= i < len(self._sets) else []

    def set_keys(self, keys: list[str]) -> None:
        """Select the item of ``keys``, adding one for a list none of them is (e.g. from an imported file)."""
        wanted = list(keys)
        for i, known in enumerate(self._sets):
            if known == wanted:
                self.setCurrentIndex(i)
                return
        self._add(", ".join(wanted), wanted)
        self.setCurrentIndex(self.count() - 1)
