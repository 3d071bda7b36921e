"""The "Download from a hub" panel of the Model page: model id, hub, Download / Cancel, progress, inline errors.

Thin: the work is :func:`mlxstudio.core.hub.download.download_model`, run on a :class:`~mlxstudio.gui.jobs.FunctionJob`
(a QThread with a cancel flag — no MLX involved unless the download is converted). The token and the endpoints live
in the shared settings (``hub/hf_token``, ``hub/modelscope_endpoint``, ``hub/huggingface_endpoint``); the token is
never logged or shown. Its pieces — :class:`HubAccess` (those fields), :func:`progress_widgets`, :func:`show_bytes`,
:func:`folded` — serve the Data page's dataset download too (:mod:`mlxstudio.gui.data.dataset_download_dialog`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible, QElidingLabel

from mlxstudio.core import events as ev
from mlxstudio.core import i18n as core_i18n
from mlxstudio.core import paths
from mlxstudio.core.fsutil import human_bytes
from mlxstudio.core.hub import HUB_LABELS
from mlxstudio.gui import icons, quitting, settings
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.jobs import FunctionJob
from mlxstudio.gui.model.banners import MessageBar

HUB_CHOICES = (("modelscope", "ModelScope 魔搭"), ("huggingface", "Hugging Face"))
ENDPOINT_SETTINGS = {"modelscope": settings.MODELSCOPE_ENDPOINT, "huggingface": settings.HUGGINGFACE_ENDPOINT}
DEFAULT_ENDPOINTS = {"modelscope": "https://www.modelscope.cn", "huggingface": "https://huggingface.co"}
LAST_MODEL_KEY = "download/last_model_id"


def format_eta(seconds: float | None) -> str:
    """12 → "12 s left", 150 → "about 3 min left", None → ""."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    if seconds < 60:
        return translate("download_panel", "{max} s left").format(max=max(1, round(seconds)))
    if seconds < 3600:
        return translate("download_panel", "about {value} min left").format(value=round(seconds / 60))
    h, m = divmod(round(seconds / 60), 60)
    return translate("download_panel", "about {h} h {m} min left").format(h=h, m=m)


def describe_progress(e: ev.DownloadProgress) -> str:
    """One line for a progress event: file · bytes · speed · time left."""
    parts = [f"{human_bytes(e.done)} of {human_bytes(e.total)}"]
    if e.speed > 0:
        parts.append(f"{human_bytes(e.speed)}/s")
    if eta := format_eta(e.eta):
        parts.append(eta)
    return (f"{e.file} — " if e.file else "") + " · ".join(parts)


def show_bytes(bar: QProgressBar, status: QLabel, e: ev.DownloadProgress) -> None:
    """A progress event on a permille bar (see :func:`progress_widgets`) and a status line."""
    if e.total > 0:
        bar.setRange(0, 1000)
        bar.setValue(round(1000 * e.done / e.total))
        status.setText(describe_progress(e))


def progress_widgets(object_prefix: str, beside: QWidget | None = None) -> tuple[QWidget, QProgressBar, QElidingLabel]:
    """The progress of a download: a box (hidden) with the bar (permille: byte counts overflow a QProgressBar's int;
    ``beside`` it, e.g. a Cancel button) over the status line; named ``<prefix>-progress`` and ``<prefix>-status``."""
    bar = QProgressBar()
    bar.setObjectName(f"{object_prefix}-progress")
    bar.setAccessibleName(translate("download_panel", "Download progress"))
    bar.setRange(0, 1000)
    bar.setTextVisible(True)
    bar.setFormat("%p%")
    status = QElidingLabel()
    status.setObjectName(f"{object_prefix}-status")
    status.setAccessibleName(translate("download_panel", "Download status"))
    status.setElideMode(Qt.TextElideMode.ElideMiddle)
    status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    box = QWidget()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(2)
    row = QHBoxLayout()
    row.addWidget(bar, 1)
    if beside is not None:
        row.addWidget(beside)
    lay.addLayout(row)
    lay.addWidget(status)
    box.setVisible(False)
    return box, bar, status


def folded(object_name: str, rows: list[tuple[str, QWidget]], title: str | None = None) -> QCollapsible:
    """A folded section holding a form of ``(label, field)`` rows (the Advanced part of a download form)."""
    form = QFormLayout()
    form.setContentsMargins(0, 0, 0, 0)
    for label, field in rows:
        form.addRow(label, field)
    content = QWidget()
    content.setLayout(form)
    section = QCollapsible(translate("download_panel", "Advanced") if title is None else title)
    section.setObjectName(object_name)
    section.setCollapsedIcon(icons.icon("mdi6.chevron-right"))
    section.setExpandedIcon(icons.icon("mdi6.chevron-down"))
    section.addWidget(content)
    return section


class HubAccess:
    """The token and endpoint fields of a download form, over the shared settings ``hub/hf_token`` and
    ``hub/<hub>_endpoint`` (the Model page's panel and the Data page's dataset dialog show the same values)."""

    def __init__(self, object_prefix: str, what: str) -> None:
        self.token = QLineEdit(settings.HF_TOKEN.get())
        self.token.setObjectName(f"{object_prefix}-token")
        self.token.setAccessibleName(translate("HubAccess", "Hugging Face token"))
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(translate("HubAccess", "hf_… — only for gated or private {what}").format(
            what=what))
        self.token.setToolTip(
            translate("HubAccess", "A Hugging Face access token (huggingface.co → Settings → Access Tokens). Stored in "
                              "the app's settings, readable only by you; never printed or logged."))
        self.endpoint = QLineEdit()
        self.endpoint.setObjectName(f"{object_prefix}-endpoint")
        self.endpoint.setAccessibleName(translate("HubAccess", "Endpoint"))
        self.endpoint.setToolTip(
            translate("HubAccess", "Another server for this hub: a mirror (e.g. https://hf-mirror.com) or a company "
                                 "hub. Empty: the public hub."))

    def show_hub(self, hub: str) -> None:
        """Show ``hub``'s endpoint (its public address as the placeholder); the token is for Hugging Face only."""
        self.endpoint.setText(ENDPOINT_SETTINGS[hub].get())
        self.endpoint.setPlaceholderText(translate("HubAccess", "{url} (default)").format(url=DEFAULT_ENDPOINTS[hub]))
        self.token.setEnabled(hub == "huggingface")

    def store_token(self) -> None:
        """Keep the token in the settings (whose file is then made readable only by the user)."""
        s = settings.qsettings()
        if self.token.text().strip() != settings.HF_TOKEN.get(s):
            settings.HF_TOKEN.set(self.token.text().strip(), s)
            s.sync()
            settings.protect_settings_file()

    def store_endpoint(self, hub: str) -> None:
        """Keep the endpoint typed for ``hub``."""
        ENDPOINT_SETTINGS[hub].set(self.endpoint.text().strip().rstrip("/"))

    def token_for(self, hub: str) -> str | None:
        """The token to send to ``hub`` (None: none typed, or not Hugging Face)."""
        return (self.token.text().strip() or None) if hub == "huggingface" else None

    def endpoint_url(self) -> str | None:
        """The endpoint typed (None: the public hub)."""
        return self.endpoint.text().strip().rstrip("/") or None


class DownloadPanel(QWidget):
    """Download a model from ModelScope or Hugging Face into the library.

    Signals: ``model_added(Path)`` when a model arrived in the library; ``busy_changed(bool)``;
    ``progress(object)`` with each :class:`~mlxstudio.core.events.DownloadProgress`; ``finished(str)`` with the
    outcome ("added", "failed", "cancelled").
    """

    model_added = Signal(object)
    busy_changed = Signal(bool)
    progress = Signal(object)
    finished = Signal(str)

    def __init__(self, state: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("download-panel")
        self.state = state
        self.job: FunctionJob | None = None
        self._busy = False
        self._job_model = ""
        self._job_name = ""
        s = settings.qsettings()

        # -- row 1: hub, model id, suggestions, Download / Cancel --------------------------------------------------
        self.hub = QComboBox()
        self.hub.setObjectName("download-hub")
        for key, label in HUB_CHOICES:
            self.hub.addItem(label, key)
        self.hub.setCurrentIndex(max(0, self.hub.findData(settings.DEFAULT_HUB.get(s))))
        self.hub.setToolTip(self.tr("Where to download from. ModelScope is fast in China; Hugging Face hosts the "
                            "ready-made MLX models of mlx-community."))
        self.model_id = QLineEdit()
        self.model_id.setObjectName("download-model-id")
        self.model_id.setPlaceholderText(self.tr("owner/name, e.g. Qwen/Qwen3-0.6B"))
        self.model_id.setClearButtonEnabled(True)
        self.model_id.setToolTip(
            self.tr("The model's id on the hub (owner/name). Pick a suggestion with the ▾ button."))
        self._completions = QStringListModel(self)
        completer = QCompleter(self._completions, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.model_id.setCompleter(completer)
        self.suggest = QToolButton()
        self.suggest.setObjectName("download-suggestions")
        self.suggest.setIcon(icons.icon("mdi6.lightbulb-on-outline"))
        self.suggest.setToolTip(self.tr("Known small models that work well here"))
        self.suggest.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.suggest.setMenu(QMenu(self.suggest))
        self.download_button = QPushButton(icons.icon("download"), self.tr("Download"))
        self.download_button.setObjectName("download-start")
        self.download_button.setDefault(False)
        self.cancel_button = QPushButton(icons.icon("cancel"), self.tr("Cancel"))
        self.cancel_button.setObjectName("download-cancel")
        self.cancel_button.setToolTip(self.tr("Stop the download. What has arrived is kept: Download resumes it."))
        self.cancel_button.setVisible(False)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.hub)
        row.addWidget(self.model_id, 1)
        row.addWidget(self.suggest)
        row.addWidget(self.download_button)
        row.addWidget(self.cancel_button)

        self.hint = QLabel()
        self.hint.setObjectName("download-hint")
        self.hint.setEnabled(False)  # the palette's secondary text colour
        self.hint.setWordWrap(True)

        # -- progress -------------------------------------------------------------------------------------------
        self.progress_box, self.bar, self.status = progress_widgets("download")

        self.message = MessageBar(self)
        self.message.setObjectName("download-message")

        # -- advanced (folded) -------------------------------------------------------------------------------------
        self.name = QLineEdit()
        self.name.setObjectName("download-name")
        self.name.setPlaceholderText(self.tr("default: the part of the id after the slash"))
        self.name.setToolTip(self.tr("The model's name in your library."))
        self.quantize = QCheckBox(self.tr("Convert to a 4-bit MLX model after downloading (about 4× smaller)"))
        self.quantize.setObjectName("download-quantize")
        self.quantize.setToolTip(
            self.tr("Runs mlx_lm.convert with 4-bit quantization. Smaller and faster to run; on a Mac, "
                                 "4-bit models train with QLoRA. Models that are already quantized are kept as is."))
        self.access = HubAccess("download", self.tr("Hugging Face models"))
        self.token, self.endpoint = self.access.token, self.access.endpoint
        self.advanced = folded("download-advanced", [(self.tr("Name in library:"), self.name), ("", self.quantize),
                                                     (self.tr("Hugging Face token:"), self.token),
                                                     (self.tr("Endpoint:"), self.endpoint)])

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        lay.addLayout(row)
        lay.addWidget(self.hint)
        lay.addWidget(self.progress_box)
        lay.addWidget(self.message)
        lay.addWidget(self.advanced)
        lay.addStretch(1)

        self.hub.currentIndexChanged.connect(self._hub_changed)
        self.model_id.textChanged.connect(self._update_hint)
        self.model_id.returnPressed.connect(self.start_download)
        self.download_button.clicked.connect(self.start_download)
        self.cancel_button.clicked.connect(self.cancel)
        self.token.editingFinished.connect(self._store_token)
        self.endpoint.editingFinished.connect(self._store_endpoint)
        self.model_id.setText(str(s.value(LAST_MODEL_KEY, "", type=str) or self.tr("Qwen/Qwen3-0.6B")))
        self._hub_changed()

    # -- helpers -----------------------------------------------------------------------------------------------
    def current_hub(self) -> str:
        """"modelscope" or "huggingface"."""
        return str(self.hub.currentData())

    def _hub_changed(self, *_: Any) -> None:
        from mlxstudio.core.hub import SUGGESTED_MODELS

        hub = self.current_hub()
        ids = [m.model_id for m in SUGGESTED_MODELS if m.hub == hub]
        self._completions.setStringList(ids)
        menu = self.suggest.menu()
        menu.clear()
        for m in SUGGESTED_MODELS:
            if m.hub != hub:
                continue
            act = menu.addAction(f"{m.model_id}  —  {core_i18n._(m.note)}")
            act.triggered.connect(lambda _=False, mid=m.model_id: self.model_id.setText(mid))
        self.access.show_hub(hub)
        self._update_hint()

    def _update_hint(self, *_: Any) -> None:
        from mlxstudio.core.hub import SUGGESTED_MODELS, staging_info

        mid = self.model_id.text().strip()
        hub = self.current_hub()
        note = next((core_i18n._(m.note) for m in SUGGESTED_MODELS if m.model_id == mid and m.hub == hub), "")
        kept = 0
        try:
            kept = staging_info(hub, mid) if mid else 0
        except Exception:  # not a valid id yet
            kept = 0
        parts = [note] if note else []
        if kept:
            parts.append(self.tr("{human_bytes} from an earlier attempt are kept — Resume download "
                             "continues it.").format(human_bytes=human_bytes(kept)))
        self.hint.setText("  ·  ".join(parts))
        self.hint.setVisible(bool(parts))
        if not self.is_busy():
            self.download_button.setText(self.tr("Resume download") if kept else self.tr("Download"))

    def _store_token(self) -> None:
        self.access.store_token()

    def _store_endpoint(self) -> None:
        self.access.store_endpoint(self.current_hub())

    def is_busy(self) -> bool:
        """True from Download until the job has finished (its outcome shown)."""
        return self._busy

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for w in (self.hub, self.model_id, self.suggest, self.advanced):
            w.setEnabled(not busy)
        self.download_button.setVisible(not busy)
        self.cancel_button.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.cancel_button.setText(self.tr("Cancel"))
        if busy:
            self.progress_box.setVisible(True)
        self.busy_changed.emit(busy)

    # -- the job -----------------------------------------------------------------------------------------------
    def start_download(self) -> None:
        """Start downloading the model in the id field (does nothing while a download runs)."""
        if self.is_busy():
            return
        from mlxstudio.core import errors
        from mlxstudio.core.hub import check_model_id, library_name

        self._store_token()
        self._store_endpoint()
        hub = self.current_hub()
        try:
            model_id = check_model_id(self.model_id.text())
            name = library_name(model_id, self.name.text().strip() or None)
        except errors.UserError as exc:
            self.message.show_message(str(exc), "error")
            return
        if (paths.models_dir() / name).exists():
            self._name_taken(name)
            return
        token, endpoint = self.access.token_for(hub), self.access.endpoint_url()
        quantize = 4 if self.quantize.isChecked() else None
        settings.qsettings().setValue(LAST_MODEL_KEY, model_id)
        self.message.hide()
        self.bar.setRange(0, 0)  # busy until the file list is known
        self.status.setText(self.tr("Looking up {model_id} on {HUB_LABELS}…").format(
            model_id=model_id, HUB_LABELS=HUB_LABELS[hub]))
        self._job_model, self._job_name = model_id, name

        def work(sink: ev.Sink, cancel: Any) -> Path:
            from mlxstudio.core.hub import download_model

            return download_model(hub, model_id, name=name, token=token, endpoint=endpoint, sink=sink,
                                  cancel=cancel, quantize=quantize)

        self.job = FunctionJob(self.tr("Download of {model_id}").format(model_id=model_id), work, self)
        self.job.core_event.connect(self._on_event)
        self.job.succeeded.connect(self._on_success)
        self.job.failed.connect(self._on_failed)
        self.job.cancelled.connect(self._on_cancelled)
        self._set_busy(True)
        self.job.start()

    def cancel(self) -> None:
        """Ask the running download to stop (it keeps what arrived, for a resume)."""
        if self.is_busy() and self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText(self.tr("Stopping…"))

    def _on_event(self, e: ev.Event) -> None:
        if isinstance(e, ev.DownloadProgress):
            show_bytes(self.bar, self.status, e)
            self.progress.emit(e)
        elif isinstance(e, ev.Progress):  # conversion steps
            self.bar.setRange(0, 0)
            self.status.setText(self.tr("Converting: {message}…").format(message=e.message))
        elif isinstance(e, ev.Log) and e.message.startswith((
            self.tr("Verifying"), self.tr("Converting"), self.tr("Waiting"))):
            self.bar.setRange(0, 0)
            self.status.setText(e.message)

    def _on_success(self, path: Any) -> None:
        self._done()
        p = Path(path)
        self.bar.setRange(0, 1000)
        self.bar.setValue(1000)
        self.progress_box.setVisible(False)
        self.message.show_message(self.tr("{job_model} is in the library as {name}.").format(
            job_model=self._job_model, name=p.name), "info")
        self.model_added.emit(p)
        self.finished.emit("added")

    def _on_failed(self, message: str) -> None:
        self._done()
        self.progress_box.setVisible(False)
        if self._job_name and (paths.models_dir() / self._job_name).exists():
            self._name_taken(self._job_name)  # the name was taken while the files arrived (they are kept)
        else:
            self.message.show_message(message, "error", self.tr("Try Again"), self.start_download)
        self.finished.emit("failed")

    def _name_taken(self, name: str) -> None:
        """The library has a model called ``name``: unfold Advanced, put a free name into “Name in library”
        (selected, focused: typing replaces it) and offer to download under it."""
        free = paths.unique_name(paths.models_dir(), name)
        self.advanced.expand(animate=False)
        self.name.setText(free)
        self.name.selectAll()
        self.name.setFocus()
        self.message.show_message(self.tr("The library already has a model named “{name}”. “{free}” is free and "
                                      "is filled in under Advanced → Name in library — download under it, or "
                                      "type another name there (or delete the other model first).").format(name=name,
                                              free=free), "error",
                                          self.tr("Download as {free}").format(free=free),
                                  lambda: self._download_as(free))

    def _download_as(self, name: str) -> None:
        self.name.setText(name)
        self.start_download()

    def _on_cancelled(self, message: str) -> None:
        self._done()
        self.bar.setRange(0, 1000)
        self.status.setText(self.tr("Stopped."))
        self.progress_box.setVisible(False)
        self.message.show_message(message, "info")
        self.finished.emit("cancelled")

    def _done(self) -> None:
        self._set_busy(False)
        self._update_hint()

    # -- page protocol (the Model page forwards these) ---------------------------------------------------------
    def can_close(self) -> bool:
        """False while a download runs (the page asks the user first)."""
        return not self.is_busy()

    def shutdown(self) -> None:
        """Stop a running download and wait for it (what arrived is kept for a resume)."""
        if self.job is not None:
            if self.job.isRunning():
                self.job.cancel()
            quitting.stop_thread(self.job, 10_000)  # one that cannot stop in time is kept, never destroyed running

    def save_settings(self, s: QSettings) -> None:
        s.setValue(LAST_MODEL_KEY, self.model_id.text().strip())
        s.setValue("download/advanced_open", self.advanced.isExpanded())

    def restore_settings(self, s: QSettings) -> None:
        last = s.value(LAST_MODEL_KEY, "", type=str)
        if last and not self.is_busy():
            self.model_id.setText(str(last))
        if s.value("download/advanced_open", False, type=bool):
            self.advanced.expand(animate=False)
