"""The Train form's "Reasoning" row (TrainConfig.reasoning), kept in step with the app state so the Data page's
"What the model sees" renders the rows exactly as this setting trains them (issue 20).

The row is enabled only for a model whose chat template has a thinking switch (Qwen3); for other models the rows are
trained as they are and the row says so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QComboBox

from mlxstudio.core.inference import template_supports_thinking
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.state import AppState
from mlxstudio.gui.train.config_form import ConfigForm


def reasoning_labels(tr: QObject) -> dict[str, str]:
    return {"auto": translate("reasoning_row", "Automatic (by the data)"),
            "direct": translate("reasoning_row", "Answer directly"),
            "keep": translate("reasoning_row", "Keep the reasoning in my data")}


def bind_reasoning(form: ConfigForm, state: AppState) -> None:
    """Label the row's choices, follow the model's template, and keep the row and ``state.reasoning`` equal."""
    combo = form.editors.get("reasoning")
    if not isinstance(combo, QComboBox):
        return
    labels = reasoning_labels(form)
    for i in range(combo.count()):
        combo.setItemText(i, labels.get(str(combo.itemData(i)), combo.itemText(i)))
    help_text = combo.toolTip()

    def follow_model(path: Path | None) -> None:
        supports = path is not None and template_supports_thinking(path)
        combo.setEnabled(supports)
        form.labels["reasoning"].setEnabled(supports)
        tip = help_text if supports else translate(
            "reasoning_row", "This model's chat template has no thinking block: rows are trained as they are.")
        combo.setToolTip(tip)
        form.labels["reasoning"].setToolTip(tip)

    def to_state(_index: int) -> None:
        state.set_reasoning(str(combo.currentData()))

    def from_state(mode: str) -> None:
        i = combo.findData(mode)
        if i >= 0 and i != combo.currentIndex():
            combo.setCurrentIndex(i)

    combo.currentIndexChanged.connect(to_state)
    state.reasoning_changed.connect(from_state)
    state.model_changed.connect(follow_model)
    follow_model(state.model)
    to_state(combo.currentIndex())
