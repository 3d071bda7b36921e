"""Side-by-side test: one prompt, answer panes (Base | Tuned [| Fused]) that stream together, Stop, options.

Generation runs in the engine's worker process (job "generate", :class:`~mlxstudio.gui.qworker.WorkerThread`): the
worker loads every pane's model, then generates their tokens interleaved, so the panes fill at the same time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import events as ev
from mlxstudio.core.inference import template_supports_thinking
from mlxstudio.core.inference.reasoning import trained_reasoning, tuned_thinking
from mlxstudio.gui import icons, settings
from mlxstudio.gui.qworker import WorkerThread
from mlxstudio.gui.test.adapter_picker import adapter_problem
from mlxstudio.gui.test.answer_pane import AnswerPane


class ComparePanel(QWidget):
    """Prompt box, options, Generate/Stop and the answer panes. Set its inputs with :meth:`set_sources`."""

    busy_changed = Signal(bool)
    """True while a generation runs."""
    message = Signal(str)
    """One line for the page's status (errors, what happened)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model: Path | None = None
        self.adapter: Path | None = None
        self.fused: Path | None = None
        self.worker: WorkerThread | None = None
        self._expected: dict[str, str] = {}
        self._active: set[str] = set()
        self._build()
        self._update_buttons()

    # -- layout ------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText(
            self.tr("Ask both models something, e.g. 蓝牙耳机坏了应该看什么科   (⌘/Ctrl+Enter)"))
        self.prompt.setTabChangesFocus(True)
        self.prompt.textChanged.connect(self._update_buttons)
        self.prompt.textChanged.connect(self._show_expected)

        self.dataset_prompts = QComboBox()
        self.dataset_prompts.setToolTip(self.tr("Prompts from the dataset: pick one to ask it"))
        self.dataset_prompts.setMinimumContentsLength(14)
        self.dataset_prompts.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.dataset_prompts.activated.connect(self._pick_dataset_prompt)

        self.generate_button = QPushButton(icons.icon("next"), self.tr("Generate"))
        self.generate_button.setToolTip(self.tr("Answer the prompt with every model (⌘/Ctrl+Enter)"))
        self.generate_button.clicked.connect(self.generate)
        self.stop_button = QPushButton(icons.icon("cancel"), self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop generating (the text so far stays)"))
        self.stop_button.clicked.connect(self.stop)
        for seq in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(seq), self).activated.connect(self.generate)

        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 8192)
        self.max_tokens.setValue(128)
        self.max_tokens.setToolTip(self.tr("Stop each answer after this many tokens"))
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setDecimals(2)
        self.temperature.setSpecialValueText(self.tr("0 (greedy)"))
        self.temperature.setToolTip(
            self.tr("0 = always the most likely token (reproducible); higher = more varied answers"))
        self.top_p = QDoubleSpinBox()
        self.top_p.setRange(0.05, 1.0)
        self.top_p.setSingleStep(0.05)
        self.top_p.setValue(1.0)
        self.top_p.setToolTip(
            self.tr("Nucleus sampling (used when temperature > 0): sample from the most likely tokens "
                              "that make up this much probability. 1 = off"))
        self.thinking = QCheckBox(self.tr("Thinking"))
        self.thinking.setToolTip(
            self.tr("For chat templates with a thinking switch (e.g. Qwen3): let the model think first"))
        self.system = QLineEdit()
        self.system.setPlaceholderText(self.tr("System prompt (empty: the template's default)"))
        self.system.setClearButtonEnabled(True)

        top = QHBoxLayout()
        top.addWidget(self.prompt, 1)
        side = QVBoxLayout()
        side.addWidget(self.generate_button)
        side.addWidget(self.stop_button)
        side.addWidget(self.dataset_prompts)
        side.addStretch(1)
        top.addLayout(side)
        # as tall as the buttons beside it (at least three lines): no empty band above or below the prompt box
        self.prompt.setMinimumHeight(self.prompt.fontMetrics().lineSpacing() * 3 + 14)
        self.prompt.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)

        opts = QHBoxLayout()
        for label, w in ((self.tr("Max tokens"), self.max_tokens), (self.tr("Temperature"), self.temperature),
                         (self.tr("Top-p"), self.top_p)):
            lab = QLabel(label)
            lab.setBuddy(w)
            opts.addWidget(lab)
            opts.addWidget(w)
            opts.addSpacing(8)
        opts.addWidget(self.thinking)
        opts.addSpacing(8)
        opts.addWidget(self.system, 1)

        self.expected = QLabel()
        self.expected.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.expected.setWordWrap(True)
        self.expected.hide()

        self.panes: dict[str, AnswerPane] = {
            "base": AnswerPane("base", self.tr("Base"), self.tr("the model as downloaded")),
            "tuned": AnswerPane("tuned", self.tr("Tuned"), self.tr("base + adapter")),
            "fused": AnswerPane("fused", self.tr("Fused"), self.tr("adapter fused into the weights")),
        }
        self.panes["fused"].hide()
        row = QHBoxLayout()
        for pane in self.panes.values():
            row.addWidget(pane, 1)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addLayout(opts)
        lay.addWidget(self.expected)
        lay.addLayout(row, 1)

    # -- inputs ------------------------------------------------------------------------------------------------
    def set_sources(self, model: Path | None, adapter: Path | None, fused: Path | None = None) -> None:
        """The base model, the adapter (tuned = base + adapter) and an optional fused model (third pane)."""
        self.model, self.adapter, self.fused = model, adapter, fused
        self.panes["base"].subtitle.setText(model.name if model else self.tr("no model chosen"))
        self.panes["tuned"].subtitle.setText(f"+ {adapter.name}" if adapter else self.tr("no adapter yet — train one"))
        self.panes["fused"].setVisible(fused is not None)
        full = adapter is None and fused is not None  # a full fine-tune (test_page): base | its saved model
        self.panes["tuned"].setVisible(not full)
        self.panes["fused"].title.setText("<b>{}</b>".format(self.tr("Fine-tuned") if full else self.tr("Fused")))
        if fused is not None:
            self.panes["fused"].subtitle.setText(fused.name)
        for source, path in (("base", model), ("tuned", adapter), ("fused", fused)):
            self.panes[source].subtitle.setToolTip(str(path) if path else "")
        supports = bool(model) and template_supports_thinking(model)  # type: ignore[arg-type]
        self.thinking.setEnabled(supports)
        if not supports:
            self.thinking.setToolTip(self.tr("This model's chat template has no thinking switch"))
        else:  # as the run trained (its reasoning setting): the CLI, evaluation and serve ask the same way
            trained = trained_reasoning(fused, adapter)
            self.thinking.setChecked(bool(tuned_thinking(fused, adapter)))
            self.thinking.setToolTip(
                self.tr("The adapter was trained to answer directly: thinking is off, as in training")
                if trained == "direct" else
                self.tr("The adapter was trained with the reasoning in its data: thinking is on, as in training")
                if trained == "keep" else
                self.tr("For chat templates with a thinking switch (e.g. Qwen3): let the model think first. "
                        "Its reasoning goes into the folded Thinking part of each pane."))
        self._update_buttons()

    def set_dataset_prompts(self, items: list[tuple[str, str]]) -> None:
        """(prompt, expected answer) pairs for the "from the dataset" menu."""
        self._expected = {p: e for p, e in items}
        self.dataset_prompts.clear()
        self.dataset_prompts.addItem(self.tr("From the dataset ({n})").format(
            n=len(items)) if items else self.tr("No dataset prompts"))
        for prompt, _expected in items:
            self.dataset_prompts.addItem(prompt.replace("\n", " ")[:60], prompt)
        self.dataset_prompts.setEnabled(bool(items))

    def _pick_dataset_prompt(self, index: int) -> None:
        prompt = self.dataset_prompts.itemData(index)
        if prompt:
            self.prompt.setPlainText(str(prompt))
            self.dataset_prompts.setCurrentIndex(0)

    def _show_expected(self) -> None:
        want = self._expected.get(self.prompt.toPlainText().strip())
        self.expected.setVisible(want is not None)
        if want is not None:
            self.expected.setText(self.tr("Expected (from the dataset): <b>{escape}</b>").format(escape=_escape(want)))

    # -- running -----------------------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.worker is not None

    def _update_buttons(self) -> None:
        has_prompt = bool(self.prompt.toPlainText().strip())
        self.generate_button.setEnabled(self.model is not None and has_prompt and not self.busy)
        self.stop_button.setEnabled(self.busy)

    def pane_sources(self) -> list[dict[str, Any]]:
        """The worker's "panes" parameter for the current inputs."""
        panes: list[dict[str, Any]] = []
        if self.model is None:
            return panes
        panes.append({"source": "base", "model": str(self.model)})
        if self.adapter is not None:
            panes.append({"source": "tuned", "model": str(self.model), "adapter_path": str(self.adapter)})
        if self.fused is not None:
            panes.append({"source": "fused", "model": str(self.fused)})
        return panes

    def params(self) -> dict[str, Any]:
        """The "generate" job's parameters for the current prompt and options."""
        return {
            "prompt": self.prompt.toPlainText().strip(),
            "panes": self.pane_sources(),
            "max_tokens": self.max_tokens.value(),
            "temperature": self.temperature.value(),
            "top_p": self.top_p.value(),
            "system": self.system.text().strip() or None,
            "enable_thinking": self.thinking.isChecked() if self.thinking.isEnabled() else None,
        }

    def generate(self) -> None:
        """Start generating in a worker process (no-op while one runs or without a model/prompt)."""
        if self.busy or self.model is None or not self.prompt.toPlainText().strip():
            return
        params = self.params()
        problem = adapter_problem(self.model, self.adapter)
        if problem:  # the base (and fused) model still answer; only the tuned pane says why it cannot
            params["panes"] = [p for p in params["panes"] if p["source"] != "tuned"]
        active = {p["source"] for p in params["panes"]}
        self._active = active
        for source, pane in self.panes.items():
            if source in active:
                pane.begin(self.tr("Loading the model…"))
            else:
                pane.text.clear()
                pane.stats.setText(self.tr("no adapter yet") if source == "tuned" else " ")
        if problem:
            self.panes["tuned"].fail(problem)
            self.message.emit(problem)
        self.worker = WorkerThread("generate", params, parent=self)
        self.worker.core_event.connect(self._on_event)
        self.worker.finished_ok.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.cancelled.connect(self._on_cancelled)
        self.worker.finished.connect(self._on_thread_done)
        self.worker.start()
        self.busy_changed.emit(True)
        self._update_buttons()

    def stop(self) -> None:
        """Stop the generation (graceful: the worker stops between tokens)."""
        if self.worker is not None:
            self.worker.stop(timeout=5.0)
            self.stop_button.setEnabled(False)

    def _on_event(self, event: ev.Event) -> None:
        if isinstance(event, ev.Token):
            pane = self.panes.get(event.source)
            if pane is not None:
                pane.append(event.text, event.tokens_per_second)
        elif isinstance(event, ev.Progress) and event.job == "generate":
            for source, pane in self.panes.items():
                if source in self._active and pane.tokens == 0 and event.message == "generating":
                    pane.stats.setText(self.tr("Thinking about the first token…"))

    def _on_finished(self, result: dict) -> None:
        stats = result.get("stats", {})
        for source, pane in self.panes.items():
            if source in stats:
                pane.finish(stats[source])

    def _on_failed(self, message: str) -> None:
        for source in self._active:
            self.panes[source].fail(message)
        self.message.emit(message)

    def _on_cancelled(self, _message: str) -> None:
        for source in self._active:
            self.panes[source].stopped()

    def _on_thread_done(self) -> None:
        if self.worker is not None:
            self.worker.deleteLater()
        self.worker = None
        self.busy_changed.emit(False)
        self._update_buttons()

    def shutdown(self) -> None:
        """Stop a running generation and wait for its worker."""
        if self.worker is not None:
            self.worker.stop_and_wait(3.0)

    # -- settings ----------------------------------------------------------------------------------------------
    def save_settings(self, s: QSettings) -> None:
        s.setValue("test/max_tokens", self.max_tokens.value())
        s.setValue("test/temperature", self.temperature.value())
        s.setValue("test/top_p", self.top_p.value())
        s.setValue("test/system", self.system.text())

    def restore_settings(self, s: QSettings) -> None:
        self.max_tokens.setValue(settings.typed_value(s, "test/max_tokens", 128))
        self.temperature.setValue(settings.typed_value(s, "test/temperature", 0.0))
        self.top_p.setValue(settings.typed_value(s, "test/top_p", 1.0))
        self.system.setText(settings.typed_value(s, "test/system", ""))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
