"""The training settings form, generated from :class:`~mlxstudio.core.training.config.TrainConfig`'s fields.

Each field's ``metadata`` gives the label, the tooltip (``help``), the group ("basic" fields are always visible,
"advanced" ones sit in a collapsible section, "hidden" ones are not shown), and ``choices``/``min``/``max``.
The dataclass stays the one source of truth: the form never hard-codes a default or a limit.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QDoubleValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from mlxstudio.core import i18n as core_i18n
from mlxstudio.core.training import ConfigError, TrainConfig, config_fields
from mlxstudio.gui import icons
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.train.import_notes import ImportNotes
from mlxstudio.gui.train.layer_keys import LayerKeysCombo

PRESETS: dict[str, dict[str, Any]] = {
    QT_TRANSLATE_NOOP("config_form", "Memorize a small set"): dict(
        learning_rate=2e-4, rank=8, num_layers=16, batch_size=4, iters=60, steps_per_report=5, steps_per_eval=20,
        save_every=20, max_seq_length=512),
    QT_TRANSLATE_NOOP("config_form", "Quick test"): dict(
        learning_rate=1e-4, rank=4, num_layers=4, batch_size=2, iters=20, steps_per_report=2, steps_per_eval=10,
        save_every=10, val_batches=5, max_seq_length=256),
    QT_TRANSLATE_NOOP("config_form", "Seed tutorial defaults"): {},
}
"""Named starting points: changes on top of TrainConfig's defaults (which are mlx_lm's defaults).

"Memorize a small set" is what trains the seed pairs on the demo model in a minute (FACTS.md) — the form opens with it.
"""
CHOICE_LABELS = {"lora": "LoRA", "dora": "DoRA", "full": QT_TRANSLATE_NOOP("config_form", "Full fine-tune"),
                 "adam": "Adam", "adamw": "AdamW", "muon": "Muon", "sgd": "SGD", "adafactor": "Adafactor",
                 "constant": QT_TRANSLATE_NOOP("config_form", "constant"),
                 "cosine": QT_TRANSLATE_NOOP("config_form", "cosine")}
DEFAULT_PRESET = "Memorize a small set"
CUSTOM = QT_TRANSLATE_NOOP("config_form", "Custom")


def preset_config(name: str) -> TrainConfig:
    """The full config of a preset."""
    return TrainConfig().replace(**PRESETS[name])


def _format_float(v: float) -> str:
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{v:.6g}"
    mantissa, exp = f"{v:.6e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exp)}"


class ConfigForm(QWidget):
    """The settings form. :meth:`config` reads it (raises :class:`ConfigError`), :meth:`set_config` fills it."""

    changed = Signal()
    """Any value changed (the page re-estimates time/memory)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editors: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self._fields = {f.name: f for f in config_fields()}
        self._loading = False

        self.preset = QComboBox()
        for name in [*PRESETS, CUSTOM]:  # the English name is the item's data
            self.preset.addItem(translate("config_form", name), name)
        self.preset.setToolTip(self.tr("Start from a tested set of values. Changing any value makes it “Custom”."))
        self.preset.activated.connect(lambda _i: self._apply_preset(str(self.preset.currentData())))
        self.import_button = QPushButton(self.tr("Import…"))
        self.import_button.setToolTip(
            self.tr("Load settings from an mlx_lm-compatible YAML file (mlx_lm.lora --config)"))
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setToolTip(self.tr("Save these settings as an mlx_lm-compatible YAML file"))
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Preset")))
        top.addWidget(self.preset, 1)
        top.addWidget(self.import_button)
        top.addWidget(self.export_button)

        basic = QFormLayout()
        advanced_box = QWidget()
        advanced = QFormLayout(advanced_box)
        for form in (basic, advanced):
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for f in config_fields():
            group = f.metadata.get("group", "basic")
            if group == "hidden":
                continue
            editor = self._make_editor(f)
            if editor is None:
                continue
            label = QLabel(core_i18n._(f.metadata.get("label", f.name)))  # the engine's catalog has the fields
            tip = self.tr("{get}\n\n(mlx_lm: {name})").format(get=core_i18n._(f.metadata.get("help", "")), name=f.name)
            label.setToolTip(tip)
            editor.setToolTip(tip)
            label.setBuddy(editor)
            self.editors[f.name] = editor
            self.labels[f.name] = label
            (basic if group == "basic" else advanced).addRow(label, editor)
        self.advanced = QCollapsible(self.tr("Advanced settings"))
        self.advanced.setCollapsedIcon(icons.icon("mdi6.chevron-right"))  # as the Model page's sections
        self.advanced.setExpandedIcon(icons.icon("mdi6.chevron-down"))
        self.advanced.addWidget(advanced_box)
        self.advanced.setToolTip(self.tr("Reporting, checkpoints, early stopping, schedule details, speed options"))

        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setVisible(False)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        self.import_notes = ImportNotes()  # what an imported mlx-lm file did not apply (issue 21)
        lay.addWidget(self.import_notes)
        lay.addLayout(basic)
        lay.addWidget(self.advanced)
        lay.addWidget(self.problems_label)
        self.set_config(preset_config(DEFAULT_PRESET))
        self.preset.setCurrentIndex(self.preset.findData(DEFAULT_PRESET))

    # -- editors -----------------------------------------------------------------------------------------------
    def _make_editor(self, f: dataclasses.Field[Any]) -> QWidget | None:
        default = f.default if f.default is not dataclasses.MISSING else None
        meta = f.metadata
        w: QWidget
        if f.name == "lora_keys":
            w = LayerKeysCombo()
            w.currentIndexChanged.connect(self._on_edit)
        elif isinstance(default, bool):
            w = QCheckBox()
            w.toggled.connect(self._on_edit)
        elif "choices" in meta:
            w = QComboBox()
            for choice in meta["choices"]:
                w.addItem(translate("config_form", CHOICE_LABELS.get(choice, choice)), choice)
            w.currentIndexChanged.connect(self._on_edit)
        elif isinstance(default, int):
            w = QSpinBox()
            w.setRange(int(meta.get("min", -(2**31))), int(min(meta.get("max", 2**31 - 1), 2**31 - 1)))
            w.setAccelerated(True)
            if f.name == "num_layers":
                w.setSpecialValueText(self.tr("all"))  # shown at the minimum, -1
            w.valueChanged.connect(self._on_edit)
        elif isinstance(default, float):
            w = QLineEdit()
            v = QDoubleValidator(float(meta.get("min", -math.inf)), float(meta.get("max", math.inf)), 12, w)
            v.setNotation(QDoubleValidator.Notation.ScientificNotation)
            w.setValidator(v)
            w.textEdited.connect(self._on_edit)
        else:
            return None
        return w

    def _set_editor(self, name: str, value: Any) -> None:
        w = self.editors[name]
        if isinstance(w, LayerKeysCombo):
            w.set_keys(list(value))
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(max(0, w.findData(str(value))))
        elif isinstance(w, QSpinBox):
            w.setValue(int(value))
        elif isinstance(w, QLineEdit):
            w.setText(_format_float(float(value)))

    def _get_editor(self, name: str) -> Any:
        w = self.editors[name]
        if isinstance(w, LayerKeysCombo):
            return w.keys()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QSpinBox):
            return w.value()
        if isinstance(w, QLineEdit):
            text = w.text().strip().replace(",", ".")
            try:
                return float(text)
            except ValueError:
                return text  # TrainConfig.from_dict names the field and says a number is expected
        return None  # pragma: no cover

    # -- values ------------------------------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """The form's values by field name (hidden fields keep the last set config's values)."""
        out = dict(self._hidden)
        out.update({name: self._get_editor(name) for name in self.editors})
        return out

    def config(self) -> TrainConfig:
        """The config the form shows. Raises :class:`ConfigError` naming the first invalid field."""
        return TrainConfig.from_dict(self.values())

    def problems(self) -> list[tuple[str, str]]:
        """(field label, message) for every invalid value; empty when the form is valid."""
        try:
            cfg = self.config()
        except ConfigError as exc:
            key = (exc.key or "").split(".")[-1]
            label = core_i18n._(self._fields[key].metadata.get("label", key)) if key in self._fields else key
            msg = str(exc)
            if msg.startswith(f"{exc.key}: "):
                msg = msg[len(exc.key or "") + 2:]
            return [(label, msg)]
        return [(core_i18n._(self._fields[k].metadata.get("label", k)), m) for k, m in cfg.problems()]

    def set_config(self, cfg: TrainConfig, preset: str | None = None) -> None:
        """Fill the form from ``cfg`` (the preset box shows ``preset`` or "Custom")."""
        self._loading = True
        try:
            self._hidden = {f.name: getattr(cfg, f.name) for f in config_fields() if f.name not in self.editors}
            for name in self.editors:
                self._set_editor(name, getattr(cfg, name))
            self.preset.setCurrentIndex(self.preset.findData(preset or self._matching_preset(cfg)))
            self.show_sources({})
        finally:
            self._loading = False
        self._follow_method()
        self._refresh_problems()
        self.changed.emit()

    def _matching_preset(self, cfg: TrainConfig) -> str:
        for name in PRESETS:
            if preset_config(name) == cfg:
                return name
        return CUSTOM

    def _apply_preset(self, name: str) -> None:
        if name in PRESETS:
            self.set_config(preset_config(name), preset=name)

    def _on_edit(self, *_: Any) -> None:
        if self._loading:
            return
        self.preset.setCurrentIndex(self.preset.findData(CUSTOM))
        if self.sender() is self.editors.get("mask_prompt"):
            self.show_sources({})  # the person chose it now
        self._follow_method()
        self._refresh_problems()
        self.changed.emit()

    def _follow_method(self) -> None:
        """Full fine-tuning has no adapters: their settings are greyed out."""
        lora = self._get_editor("fine_tune_type") != "full" if "fine_tune_type" in self.editors else True
        for name in ("lora_keys", "rank", "scale", "dropout"):
            if name in self.editors and self.editors[name].isEnabled() != lora and self.preset.isEnabled():
                self.editors[name].setEnabled(lora)
                self.labels[name].setEnabled(lora)

    def show_sources(self, sources: dict[str, str]) -> None:
        """Say next to "Train on answers only" where its value came from when it is not the file's own (an
        imported mlx-lm file without ``mask_prompt`` gets mlx-lm's off, while MLX Studio's own default is on)."""
        box = self.editors.get("mask_prompt")
        if not isinstance(box, QCheckBox):
            return
        src = sources.get("mask_prompt")
        box.setText({"mlx-lm": self.tr("mlx-lm's default (ours: on)"),
                     "file": self.tr("from the file")}.get(src or "", ""))
        if src == "mlx-lm":
            box.setToolTip(self.tr("The imported file does not set mask_prompt, so it means mlx-lm's default: off "
                                   "(the prompt is trained too). MLX Studio's own default is on."))

    def _refresh_problems(self) -> None:
        probs = self.problems()
        self.problems_label.setVisible(bool(probs))
        self.problems_label.setText("\n".join(f"⚠ {label}: {msg}" for label, msg in probs))
        bad = {label for label, _ in probs}
        for name, label in self.labels.items():
            text = core_i18n._(self._fields[name].metadata.get("label", name))
            label.setText(f"⚠ {text}" if text in bad else text)

    def set_editable(self, editable: bool) -> None:
        """Lock the form while a run is training (its settings are fixed for that run)."""
        for w in [*self.editors.values(), self.preset, self.import_button]:
            w.setEnabled(editable)
        if editable:
            self._follow_method()

    # -- YAML --------------------------------------------------------------------------------------------------
    def import_yaml(self, path: str | Path) -> list[str]:
        """Load an mlx_lm-style YAML file into the form; return notes about keys that were not applied.

        Raises :class:`ConfigError` (file:line) for a bad file; the form is unchanged then.
        """
        from mlxstudio.core.training.mlx_lm_yaml import read_config

        read = read_config(path)  # every key of the file: applied, or a note (issue 21)
        self.set_config(read.config)
        self.show_sources(read.sources)
        notes = [str(n) for n in read.gui_notes]
        self.import_notes.show_notes(str(path), notes)
        return notes

    def export_yaml(self, path: str | Path) -> TrainConfig:
        """Write the form's config as mlx_lm-compatible YAML (raises :class:`ConfigError` when invalid)."""
        cfg = self.config()
        cfg.to_yaml(path)
        return cfg
