"""The Serve panel of Fuse & Test: run the tuned model as an OpenAI-compatible server on this computer.

Start launches mlx-lm's server in its own process (:class:`mlxstudio.core.inference.serve.ServerProcess`); a
:class:`~mlxstudio.gui.jobs.FunctionJob` waits for ``/v1/models`` to answer, so the window never waits for the model
to load. Serving shows the URL, the model name to use and a ``curl`` example, each with a Copy button. Stop, closing
the app, or a crash of the server ends it; the panel says which.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import errors
from mlxstudio.core.inference.serve import DEFAULT_PORT, ServeInfo, ServerProcess, port_is_free
from mlxstudio.gui import icons, jobs, quitting
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate

SOURCES = (("tuned", QT_TRANSLATE_NOOP("serve_panel", "Tuned (model + adapter)")),
           ("fused", QT_TRANSLATE_NOOP("serve_panel", "Fused model")),
           ("base", QT_TRANSLATE_NOOP("serve_panel", "Base model")))
"""What can be served, in the order the picker offers them."""
IDLE_TEXTS = (QT_TRANSLATE_NOOP("serve_panel", "Not serving. Start the server to use this model from chat apps (Open "
                                "WebUI, Jan, Chatbox…), editors or your own code, through the OpenAI API."),
              QT_TRANSLATE_NOOP("serve_panel", "Choose a model first (step 1)."))
"""What the panel says before a start: ready to start, nothing to serve."""


class ServePanel(QFrame):
    """Start/stop a local server for the chosen model. ``set_sources(model, adapter, fused, thinking)`` keeps it
    current; ``message(str)`` reports to the page's status line."""

    message = Signal(str)
    serving_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serve-panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.model: Path | None = None
        self.adapter: Path | None = None
        self.fused: Path | None = None
        self.enable_thinking: bool | None = None
        self.server: ServerProcess | None = None
        self.info: ServeInfo | None = None
        self.job: jobs.FunctionJob | None = None
        self._watch = QTimer(self)
        self._watch.setInterval(1500)
        self._watch.timeout.connect(self._check_alive)
        self._build()
        self._update()

    # -- layout ------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        title = QLabel(
            self.tr("<b>Serve</b> — an OpenAI-compatible API on this computer, for chat apps and your own code"))
        title.setWordWrap(True)
        self.source = QComboBox()
        self.source.setToolTip(self.tr("Which model the server answers with"))
        self.port = QSpinBox()
        self.port.setRange(1024, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setToolTip(self.tr("The port on 127.0.0.1 (only this computer can connect)"))
        self.start_button = QPushButton(icons.icon("mdi6.play-circle-outline"), self.tr("Start Server"))
        self.start_button.clicked.connect(self.toggle)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        self.state_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Serve")))
        top.addWidget(self.source, 1)
        top.addWidget(QLabel(self.tr("Port")))
        top.addWidget(self.port)
        top.addWidget(self.start_button)

        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.url = QLineEdit()
        self.model_name = QLineEdit()
        self.curl = QPlainTextEdit()
        self.curl.setFont(mono)
        self.curl.setReadOnly(True)
        self.curl.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.curl.setFixedHeight(self.curl.fontMetrics().lineSpacing() * 4 + 14)
        self.details = QWidget()
        grid = QGridLayout(self.details)
        grid.setContentsMargins(0, 0, 0, 0)
        self.copy_buttons: dict[str, QToolButton] = {}
        for row, (key, label, widget) in enumerate((("url", self.tr("API base URL"), self.url),
                                                     ("model", self.tr("Model name"), self.model_name),
                                                     ("curl", self.tr("Try it"), self.curl))):
            if isinstance(widget, QLineEdit):
                widget.setReadOnly(True)
                widget.setFont(mono)
            caption = QLabel(label)
            align = Qt.AlignmentFlag.AlignTop if key == "curl" else Qt.AlignmentFlag.AlignVCenter
            grid.addWidget(caption, row, 0, align)
            grid.addWidget(widget, row, 1)
            button = QToolButton()
            button.setIcon(icons.icon("mdi6.content-copy"))
            button.setText(self.tr("Copy"))
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip(self.tr("Copy the {lower}").format(lower=label.lower()))
            button.clicked.connect(lambda _=False, k=key: self.copy(k))
            grid.addWidget(button, row, 2, Qt.AlignmentFlag.AlignTop)
            self.copy_buttons[key] = button
        grid.setColumnStretch(1, 1)
        lay = QVBoxLayout(self)
        lay.addWidget(title)
        lay.addLayout(top)
        lay.addWidget(self.state_label)
        lay.addWidget(self.details)

    # -- sources -----------------------------------------------------------------------------------------------
    def set_sources(self, model: Path | None, adapter: Path | None, fused: Path | None,
                    enable_thinking: bool | None = None) -> None:
        """The model, adapter and fused model of the page (and its Thinking switch, applied to the server)."""
        self.model, self.adapter, self.fused, self.enable_thinking = model, adapter, fused, enable_thinking
        if self.server is not None:
            return  # the picker keeps showing what is being served; the new sources apply at the next start
        current = self.source.currentData()
        self.source.blockSignals(True)
        self.source.clear()
        for key, label in SOURCES:
            if self.target(key) is not None:
                self.source.addItem(translate("serve_panel", label), key)
        i = self.source.findData(current)
        self.source.setCurrentIndex(i if i >= 0 else 0)
        self.source.blockSignals(False)
        self._update()

    def target(self, key: str | None = None) -> tuple[Path, Path | None] | None:
        """(model folder, adapter or None) for the source ``key`` (default: the chosen one); None if unavailable."""
        key = key or self.source.currentData()
        if key == "tuned" and self.model is not None and self.adapter is not None:
            return self.model, self.adapter
        if key == "fused" and self.fused is not None:
            return self.fused, None
        if key == "base" and self.model is not None:
            return self.model, None
        return None

    # -- start / stop ------------------------------------------------------------------------------------------
    @property
    def serving(self) -> bool:
        return self.server is not None and self.server.running and self.info is not None

    def toggle(self) -> None:
        if self.server is not None:
            self.stop()
        else:
            self.start()

    def start(self) -> bool:
        """Start the server for the chosen source; False (with the reason shown) when it cannot start."""
        target = self.target()
        if target is None or self.server is not None:
            return False
        port = self.port.value()
        if not port_is_free(port):
            self._state(self.tr("⚠ Port {port} is in use by another program — choose another port.").format(port=port))
            return False
        server = ServerProcess(target[0], target[1], port=port, enable_thinking=self.enable_thinking)
        try:
            server.start()
        except errors.UserError as exc:
            self._state(f"⚠ {exc}")
            return False
        self.server = server
        self.info = None
        job = jobs.FunctionJob(
            self.tr("Starting the server"), lambda _sink, cancel: server.wait_ready(cancel=cancel), self)
        job.succeeded.connect(self._ready)
        job.failed.connect(lambda text: None if job.cancel_flag.is_set() else self._start_failed(text))
        job.finished.connect(lambda: self._job_done(job))
        self.job = job
        self._state(self.tr("Starting… loading {name}").format(
            name=target[0].name) + (f" + {target[1].name}" if target[1] else "") + ".")
        self._update()
        job.start()
        return True

    def _ready(self, info: ServeInfo) -> None:
        self.info = info
        self._watch.start()
        self.url.setText(info.api_base)
        self.model_name.setText(info.model_id)
        self.curl.setPlainText(info.curl)
        what = self.source.currentText().split(" (")[0].lower()
        self._state(self.tr("● Serving the {what} model at <b>{api_base}</b> — only this computer "
                        "can connect. Apps that speak the OpenAI API take this URL and model "
                        "name (any API key).").format(what=what, api_base=info.api_base))
        self._update()
        self.serving_changed.emit(True)

    def _start_failed(self, text: str) -> None:
        self._forget_server()
        self._state(self.tr("⚠ The server did not start: {text}").format(text=text))

    def _job_done(self, job: jobs.FunctionJob) -> None:
        if self.job is job:
            self.job = None
        job.deleteLater()
        self._update()

    def stop(self) -> None:
        """Stop the server (or its start)."""
        if self.job is not None:
            self.job.cancel()
        if self.server is not None:
            self.server.stop()
        was = self.info is not None
        self._forget_server()
        self._state(self.tr("Stopped.") if was else "")
        if was:
            self.serving_changed.emit(False)

    def _check_alive(self) -> None:
        if self.server is not None and not self.server.running and self.info is not None:
            tail = self.server.log_tail(3)
            self.server.stop()  # closes its log, forgets it
            self._forget_server()
            self._state(self.tr("⚠ The server stopped by itself. {tail}").format(tail=tail))
            self.serving_changed.emit(False)

    def _forget_server(self) -> None:
        self._watch.stop()
        self.server = None
        self.info = None
        for w in (self.url, self.model_name):
            w.clear()
        self.curl.clear()
        self.set_sources(self.model, self.adapter, self.fused, self.enable_thinking)  # what changed meanwhile

    def copy(self, key: str) -> str:
        """Put the URL, model name or curl example on the clipboard; returns the text."""
        text = {"url": self.url.text(), "model": self.model_name.text(), "curl": self.curl.toPlainText()}[key]
        QGuiApplication.clipboard().setText(text)
        self.message.emit("Copied.")
        return text

    # -- display -----------------------------------------------------------------------------------------------
    def _state(self, text: str) -> None:
        self.state_label.setText(text)
        self.state_label.setVisible(bool(text))

    def _update(self) -> None:
        busy = self.server is not None
        self.details.setVisible(self.info is not None)
        self.source.setEnabled(not busy)
        self.port.setEnabled(not busy)
        if busy:
            self.start_button.setText(self.tr("Stop Server"))
            self.start_button.setIcon(icons.icon("mdi6.stop-circle-outline"))
            self.start_button.setEnabled(True)
            self.start_button.setToolTip(self.tr("Stop the server"))
        else:
            self.start_button.setText(self.tr("Start Server"))
            self.start_button.setIcon(icons.icon("mdi6.play-circle-outline"))
            ok = self.target() is not None
            self.start_button.setEnabled(ok)
            self.start_button.setToolTip(self.tr("Start an OpenAI-compatible server on 127.0.0.1") if ok
                                         else self.tr("Needs a model (and an adapter to serve the tuned model)"))
            idle = [translate("serve_panel", t) for t in IDLE_TEXTS]
            if not self.state_label.text() or self.state_label.text() in idle:
                self._state(idle[0] if ok else idle[1])

    def shutdown(self) -> None:
        """Stop the server and its start job (the app is closing)."""
        job = self.job
        self.stop()
        if job is not None:
            quitting.stop_thread(job, 5000)
            self.job = None

    def status_summary(self) -> dict[str, Any]:
        """What the panel shows (tests)."""
        return {"serving": self.serving, "url": self.url.text(), "model": self.model_name.text(),
                "curl": self.curl.toPlainText(), "state": self.state_label.text()}
