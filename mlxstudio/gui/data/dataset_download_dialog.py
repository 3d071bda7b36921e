"""The "Download a dataset" dialog of the Data page: a dataset repository from ModelScope or Hugging Face, the splits
it holds, and the rows of a split spec (``train``, ``train[:1000]``…) read through the same converters as a file.

    dialog = DatasetDownloadDialog(page)
    if dialog.exec() and dialog.result_dataset is not None:
        ...  # show dialog.result_dataset (rows of dialog.result_spec from the folder dialog.result_folder)

Thin, like the Model page's download panel (:mod:`mlxstudio.gui.download_panel`, whose pieces it shares: the hub
choices, the token and endpoint fields over the shared settings ``hub/hf_token`` and ``hub/<hub>_endpoint``, the
progress bar and status line): :func:`mlxstudio.core.hub.download_dataset` fetches the folder, and
:mod:`mlxstudio.core.data.hub_layout` finds its splits and reads the rows — both on a
:class:`~mlxstudio.gui.jobs.FunctionJob`, so the window never waits for the network or a large file. A cancelled
download keeps what arrived (Download resumes it); a finished one is reused. Enter downloads, then opens; Esc cancels
a running job (and closes the dialog when none runs); closing the dialog cancels a running job and waits for it.

The summary of each split (:func:`summarize_splits`: files, size, rows when they can be counted cheaply, what its
rows are and the first one) is Qt-free and runs on the job's thread.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import errors, paths
from mlxstudio.core import events as ev
from mlxstudio.core import i18n as core_i18n
from mlxstudio.core.data import (
    TARGET_NOUNS,
    DataFile,
    Dataset,
    FieldMap,
    dataset_splits,
    load_dataset,
    load_split,
    parse_split_spec,
)
from mlxstudio.core.fsutil import human_bytes
from mlxstudio.core.hub import HUB_LABELS
from mlxstudio.gui import icons, quitting, settings
from mlxstudio.gui.download_panel import HUB_CHOICES, HubAccess, folded, progress_widgets, show_bytes
from mlxstudio.gui.jobs import CancelFlag, FunctionJob
from mlxstudio.gui.model.banners import MessageBar

__all__ = ["DatasetDownloadDialog", "SplitSummary", "cheap_row_count", "summarize_splits"]

EXAMPLE_IDS = {"modelscope": "AI-ModelScope/alpaca-gpt4-data-zh", "huggingface": "tatsu-lab/alpaca"}
"""The dataset id each hub's field suggests (its placeholder)."""
LAST_DATASET_ID = settings.Setting("download/last_dataset_id", "", "The dataset id last downloaded in the dialog.")
PREVIEW_MAX_BYTES = 64 * 1000 ** 2
"""A split's first file is read for its first row (and exact row count) up to this size; larger ones only when
opened."""
COUNT_MAX_BYTES = 512 * 1000 ** 2
"""JSONL files up to this size have their lines counted for the row count."""
SPEC_EXAMPLES = "train, train[:1000], train[10:20], train[:80%], train+validation"
SPEC_HINT = "e.g. " + SPEC_EXAMPLES
ADVANCED_MS = 150
"""How long Advanced takes to unfold (the dialog grows for it afterwards)."""
STOP_WAIT_MS = 10_000
"""How long closing the dialog waits for a cancelled job (a download stops within a second or two)."""


# -- the splits of a downloaded folder (Qt-free: runs on the job's thread) -------------------------------------------
@dataclass(frozen=True)
class SplitSummary:
    """What the dialog lists for one split of a downloaded dataset folder."""

    key: str
    """The split as a spec names it: ``train``, or ``main/train`` in a folder with subsets."""
    files: tuple[str, ...]
    """Its files, relative to the folder."""
    size: int
    """Bytes of its files."""
    rows: int | None = None
    """Rows in all its files, when they could be counted without reading them all (None: counted when opened)."""
    shape: str = ""
    """What its rows are: "prompt/completion pairs", "Alpaca (instruction/input/output) → prompt/completion pairs"."""
    first_row: str = ""
    """Its first row on one line ("prompt: … · completion: …"), when its first file was small enough to read."""
    problem: str = ""
    """Why its first file cannot be read (one sentence), or ""."""


def cheap_row_count(path: Path) -> int | None:
    """The rows of a data file when counting them needs no parsing: Parquet (its footer says), JSONL (its non-blank
    lines, up to :data:`COUNT_MAX_BYTES`); None for other files and unreadable ones."""
    name = path.name.lower()
    try:
        if name.endswith(".parquet"):
            import pyarrow.parquet as pq

            return int(pq.read_metadata(path).num_rows)
        if name.endswith(".jsonl") and path.stat().st_size <= COUNT_MAX_BYTES:
            with path.open("rb") as fh:
                return sum(1 for line in fh if line.strip())
    except (ImportError, OSError, ValueError):
        return None
    return None


def first_row_text(ds: Dataset, limit: int = 300) -> str:
    """The first row of ``ds`` on one line, field by field as the grid shows it, line breaks as ↵ (cut at ``limit``
    characters)."""
    if not len(ds):
        return ""
    cells = ((c, " ↵ ".join(" ".join(line.split()) for line in ds.cell(0, c).splitlines() if line.strip()))
             for c in ds.columns)
    text = " · ".join(f"{c}: {v}" for c, v in cells if v)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _summarize(key: str, files: list[DataFile], cancel: CancelFlag | None) -> SplitSummary:
    counts: list[int | None] = []
    shape = first = problem = ""
    for i, f in enumerate(files):
        if cancel is not None and cancel.is_set():
            raise errors.Cancelled("Stopped while reading the splits — the dataset is downloaded; Download lists "
                                   "them again.")
        if i == 0 and f.path.stat().st_size <= PREVIEW_MAX_BYTES:
            try:
                ds = load_dataset(f.path)
            except errors.UserError as exc:
                problem = str(exc).replace(str(f.path), f.relpath)  # the folder is said above the list
                counts.append(cheap_row_count(f.path))
                continue
            counts.append(len(ds))
            noun = core_i18n._(TARGET_NOUNS[ds.format][1])
            shape = f"{ds.conversion.label} → {noun}" if ds.conversion else noun
            first = first_row_text(ds)
        else:
            counts.append(cheap_row_count(f.path))
    rows: int | None = 0
    for n in counts:
        rows = None if rows is None or n is None else rows + n
    return SplitSummary(key, tuple(f.relpath for f in files), sum(f.path.stat().st_size for f in files), rows,
                        shape, first, problem)


def summarize_splits(folder: Path, cancel: CancelFlag | None = None) -> list[SplitSummary]:
    """The splits of a downloaded dataset folder in :func:`~mlxstudio.core.data.hub_layout.dataset_splits` order, each
    with its files, size, row count (when cheap), shape and first row. Raises ``UserError`` for a folder without data
    files, :class:`~mlxstudio.core.errors.Cancelled` when ``cancel`` is set."""
    return [_summarize(key, files, cancel) for key, files in dataset_splits(folder).items()]


def _with_split(spec: str, key: str) -> str:
    """The spec for ``key`` keeping the slice typed for another split (``train[:1000]`` → ``test[:1000]``)."""
    try:
        parts = parse_split_spec(spec)
    except errors.UserError:
        return key
    if len(parts) == 1 and (parts[0].start is not None or parts[0].stop is not None):
        return str(replace(parts[0], split=key))
    return key


# -- the dialog ---------------------------------------------------------------------------------------------------
class DatasetDownloadDialog(QDialog):
    """Download a dataset from a hub, list its splits, open the rows of a split spec.

    Signals: ``downloaded(Path)`` when the folder is here and its splits are listed; ``dataset_opened(Dataset)``
    when Open read the rows — then the dialog is accepted and :attr:`result_dataset`, :attr:`result_folder` and
    :attr:`result_spec` say what was opened.
    """

    downloaded = Signal(object)
    dataset_opened = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataset-download")
        self.setWindowTitle(self.tr("Download a dataset"))
        self.job: FunctionJob | None = None
        self.folder: Path | None = None
        """The downloaded folder whose splits are listed (None before a download)."""
        self.splits: list[SplitSummary] = []
        self.result_dataset: Dataset | None = None
        self.result_folder: Path | None = None
        self.result_spec = ""
        self._busy = False
        self._closing = False
        self._listed: tuple[str, str] | None = None  # (hub, dataset id) of the listed folder
        self._job_key: tuple[str, str] = ("", "")
        self._job_spec = ""
        self._retry: Callable[[], None] | None = None  # what Try Again does after the running job failed
        self._reused = False  # the running download finds the dataset downloaded before
        self._build()
        self._connect()
        self.dataset_id.setText(LAST_DATASET_ID.get())
        self._hub_changed()
        self.resize(680, self.sizeHint().height())

    # -- building ---------------------------------------------------------------------------------------------
    def _build(self) -> None:
        s = settings.qsettings()
        intro = QLabel(
            self.tr("Fetch a dataset from a hub — only its data files (Parquet, JSON Lines, JSON, CSV) and its "
                       "README — then choose the rows to open. A stopped download resumes where it stopped."))
        intro.setWordWrap(True)
        self.hub = QComboBox()
        self.hub.setObjectName("dataset-hub")
        self.hub.setAccessibleName(self.tr("Hub"))
        for key, label in HUB_CHOICES:
            self.hub.addItem(label, key)
        self.hub.setCurrentIndex(max(0, self.hub.findData(settings.DEFAULT_HUB.get(s))))
        self.hub.setToolTip(
            self.tr("Where to download from. ModelScope is fast in China; Hugging Face hosts most datasets."))
        self.dataset_id = QLineEdit()
        self.dataset_id.setObjectName("dataset-id")
        self.dataset_id.setAccessibleName(self.tr("Dataset id"))
        self.dataset_id.setClearButtonEnabled(True)
        self.dataset_id.setToolTip(self.tr("The dataset's id on the hub (owner/name), or the address of its page."))
        form = QFormLayout()
        form.addRow(self.tr("&Hub:"), self.hub)
        form.addRow(self.tr("&Dataset:"), self.dataset_id)

        # -- advanced (folded) -----------------------------------------------------------------------------------
        self.name = QLineEdit()
        self.name.setObjectName("dataset-name")
        self.name.setAccessibleName(self.tr("Folder name"))
        self.name.setPlaceholderText(self.tr("default: the part of the id after the slash"))
        self.name.setToolTip(self.tr("The dataset's folder in {datasets_dir}.").format(
            datasets_dir=paths.datasets_dir()))
        self.access = HubAccess("dataset", "datasets")  # the token and endpoints model downloads use too
        self.token, self.endpoint = self.access.token, self.access.endpoint
        self.refresh = QCheckBox(self.tr("Download again, even if it was downloaded before"))
        self.refresh.setObjectName("dataset-refresh")
        self.refresh.setToolTip(
            self.tr("A dataset downloaded before is used as it is; tick this to fetch it anew (the old "
                                "copy is replaced only once the new one is complete)."))
        self.advanced = folded("dataset-advanced", [(
            self.tr("Folder name:"), self.name), (self.tr("Hugging Face token:"), self.token),
                                                    (self.tr("Endpoint:"), self.endpoint), ("", self.refresh)])
        self.advanced.setDuration(ADVANCED_MS)

        # -- progress ----------------------------------------------------------------------------------------------
        self.cancel_button = QPushButton(icons.icon("cancel"), self.tr("Cancel"))
        self.cancel_button.setObjectName("dataset-cancel")
        self.cancel_button.setAccessibleName(self.tr("Cancel download"))
        self.cancel_button.setAutoDefault(False)  # Enter never cancels
        self.cancel_button.setToolTip(self.tr("Stop (Esc). What has arrived is kept: Download resumes it."))
        self.progress_box, self.bar, self.status = progress_widgets("dataset", beside=self.cancel_button)

        self.message = MessageBar(self)
        self.message.setObjectName("dataset-message")

        # -- the splits --------------------------------------------------------------------------------------------
        self.splits_title = QLabel()
        self.splits_title.setObjectName("dataset-splits-title")
        self.tree = QTreeWidget()
        self.tree.setObjectName("dataset-splits")
        self.tree.setAccessibleName(self.tr("Splits"))
        self.tree.setHeaderLabels([self.tr("Split"), self.tr("Rows"), self.tr("Size"), self.tr("Files")])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setMinimumHeight(6 * self.fontMetrics().height() + 12)
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(self.fontMetrics().horizontalAdvance("000,000") + 16)  # room around the numbers
        self.preview = QLabel()
        self.preview.setObjectName("dataset-preview")
        self.preview.setAccessibleName(self.tr("The selected split"))
        self.preview.setWordWrap(True)
        self.preview.setTextFormat(Qt.TextFormat.RichText)
        self.preview.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.spec = QLineEdit()
        self.spec.setObjectName("dataset-spec")
        self.spec.setAccessibleName(self.tr("Rows to open"))
        self.spec.setPlaceholderText("train")
        self.spec.setToolTip(
            self.tr("The split, and which of its rows: mlx-lm's syntax, ") + SPEC_EXAMPLES
                             + self.tr("; valid and dev name the validation split."))
        hint = QLabel(self.tr("e.g. {examples}").format(examples=SPEC_EXAMPLES))
        hint.setEnabled(False)  # the palette's secondary text colour
        spec_form = QFormLayout()
        spec_form.setContentsMargins(0, 0, 0, 0)
        spec_form.addRow(self.tr("&Rows to open:"), self.spec)
        spec_form.addRow("", hint)
        self.splits_box = QWidget()
        sl = QVBoxLayout(self.splits_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(self.splits_title)
        sl.addWidget(self.tree, 1)
        sl.addWidget(self.preview)
        sl.addLayout(spec_form)
        self.splits_box.setVisible(False)

        self.buttons = QDialogButtonBox()
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setAutoDefault(False)
        self.primary = self.buttons.addButton(self.tr("Download"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.primary.setObjectName("dataset-primary")
        self.primary.setIcon(icons.icon("download"))

        lay = QVBoxLayout(self)
        lay.addWidget(intro)
        lay.addLayout(form)
        lay.addWidget(self.advanced)
        lay.addWidget(self.progress_box)
        lay.addWidget(self.message)
        lay.addWidget(self.splits_box, 100)  # the splits list takes the room; before it is shown, the spacer does
        lay.addStretch(1)
        lay.addWidget(self.buttons)
        # Enter is Download / Open wherever the focus is (set once the button is in the dialog: Qt ignores it before)
        self.primary.setDefault(True)
        self.advanced.toggleButton().setAutoDefault(False)

    def _connect(self) -> None:
        self.hub.currentIndexChanged.connect(self._hub_changed)
        self.dataset_id.textChanged.connect(self._target_changed)
        self.primary.clicked.connect(self._primary_clicked)
        self.close_button.clicked.connect(self.close)
        self.cancel_button.clicked.connect(self.cancel)
        self.tree.currentItemChanged.connect(self._split_chosen)
        self.tree.itemDoubleClicked.connect(lambda *_: self.open_split())
        self.token.editingFinished.connect(self._remember_hub_fields)
        self.advanced.toggled.connect(lambda _open: QTimer.singleShot(ADVANCED_MS + 30, self._grow))
        self.endpoint.editingFinished.connect(self._remember_hub_fields)

    # -- state ------------------------------------------------------------------------------------------------
    def current_hub(self) -> str:
        """"modelscope" or "huggingface"."""
        return str(self.hub.currentData())

    def is_busy(self) -> bool:
        """True while a download or an Open runs."""
        return self._busy

    def _hub_changed(self, *_: Any) -> None:
        hub = self.current_hub()
        self.dataset_id.setPlaceholderText(self.tr("owner/name, e.g. {EXAMPLE_IDS}").format(
            EXAMPLE_IDS=EXAMPLE_IDS[hub]))
        self.access.show_hub(hub)
        self._target_changed()

    def _target_changed(self, *_: Any) -> None:
        """Another hub or id than the listed one: back to Download (the listed splits belong to the old one)."""
        if self._listed is not None and self._listed != (self.current_hub(), self.dataset_id.text().strip()):
            self._listed = None
            self.folder = None
            self.splits = []
        self._update()

    def _kept(self) -> int:
        """Bytes an earlier, stopped download of the id in the field left (0: none, or not a valid id)."""
        from mlxstudio.core.hub import staging_info

        try:
            return staging_info(self.current_hub(), self.dataset_id.text(), "dataset") if self.dataset_id.text() else 0
        except errors.UserError:
            return 0

    def _update(self) -> None:
        """Show what fits the state: the form, the progress while busy, the splits once listed; the main button
        says what Enter does."""
        busy, listed = self._busy, self._listed is not None
        for w in (self.hub, self.dataset_id, self.advanced):
            w.setEnabled(not busy)
        self.progress_box.setVisible(busy)
        self.splits_box.setVisible(listed)
        self.splits_box.setEnabled(not busy)
        self.primary.setEnabled(not busy)
        if listed:
            self.primary.setText(self.tr("Open"))
            self.primary.setIcon(icons.icon("open"))
        else:
            self.primary.setText(self.tr("Resume download") if not busy and self._kept() else self.tr("Download"))
            self.primary.setIcon(icons.icon("download"))
        self._grow()

    def _grow(self) -> None:
        """Make room for what appeared (Qt does not grow a dialog for a new row or a wrapped label)."""
        lay = self.layout()
        if lay is None:
            return
        lay.activate()
        height = lay.totalHeightForWidth(self.width()) if lay.hasHeightForWidth() else lay.totalSizeHint().height()
        self.resize(self.width(), max(self.height(), height))

    def _remember_hub_fields(self) -> None:
        """The token and this hub's endpoint are shared settings (the model download and Preferences use them)."""
        self.access.store_token()
        self.access.store_endpoint(self.current_hub())

    def _problem(self, text: str, focus: QLineEdit | None = None, retry: Callable[[], object] | None = None) -> None:
        self.message.show_message(text, "error", self.tr("Try Again") if retry else None, retry)
        if focus is not None:
            focus.setFocus()
            focus.selectAll()
        self._grow()

    # -- the jobs ---------------------------------------------------------------------------------------------
    def _primary_clicked(self) -> None:
        if self._listed is not None:
            self.open_split()
        else:
            self.start_download()

    def start_download(self) -> None:
        """Download the dataset in the id field and list its splits (does nothing while a job runs)."""
        if self._busy:
            return
        from mlxstudio.core.hub import check_repo_id, library_name

        self._remember_hub_fields()
        hub = self.current_hub()
        try:
            dataset_id = check_repo_id(self.dataset_id.text(), "dataset")
            name = library_name(dataset_id, self.name.text().strip() or None, "dataset")
        except errors.UserError as exc:
            self._problem(str(exc), self.dataset_id)
            return
        token, endpoint = self.access.token_for(hub), self.access.endpoint_url()
        refresh = self.refresh.isChecked()
        self._reused = (paths.datasets_dir() / name).is_dir() and not refresh
        LAST_DATASET_ID.set(dataset_id)
        self._job_key = (hub, self.dataset_id.text().strip())
        self.status.setText(self.tr("Looking up {dataset_id} on {HUB_LABELS}…").format(
            dataset_id=dataset_id, HUB_LABELS=HUB_LABELS[hub]))

        def work(sink: ev.Sink, cancel: CancelFlag) -> tuple[Path, list[SplitSummary]]:
            from mlxstudio.core.hub import download_dataset

            folder = download_dataset(hub, dataset_id, name=name, token=token, endpoint=endpoint, sink=sink,
                                      cancel=cancel, refresh=refresh)
            sink(ev.Log(self.tr("Reading the splits…")))
            return folder, summarize_splits(folder, cancel)

        self._start(self.tr("Download of {dataset_id}").format(
            dataset_id=dataset_id), work, self._downloaded, retry=self.start_download)

    def open_split(self, mapping: FieldMap | None = None) -> None:
        """Read the rows of the spec in “Rows to open” from the listed folder (``mapping``: which field is what, as
        for :func:`~mlxstudio.core.data.load_dataset`); accept the dialog with them."""
        if self._busy or self.folder is None:
            return
        spec = self.spec.text().strip() or self.spec.placeholderText()
        try:
            parse_split_spec(spec)
        except errors.UserError as exc:
            self._problem(str(exc), self.spec)
            return
        folder, self._job_spec = self.folder, spec
        self.status.setText(self.tr("Reading {spec} of {name}…").format(spec=spec, name=folder.name))

        def work(sink: ev.Sink, cancel: CancelFlag) -> Dataset:
            ds = load_split(folder, spec, mapping)
            if cancel.is_set():
                raise errors.Cancelled(f"Opening {spec} cancelled — the dataset stays downloaded.")
            return ds

        self._start(self.tr("Opening {spec} of {name}").format(spec=spec, name=folder.name), work, self._opened)

    def _start(self, name: str, work: Callable[[ev.Sink, CancelFlag], Any], done: Callable[[Any], None],
               retry: Callable[[], None] | None = None) -> None:
        self.message.hide()
        self.bar.setRange(0, 0)  # busy until bytes are known
        self.cancel_button.setEnabled(True)
        self.cancel_button.setText(self.tr("Cancel"))
        job = FunctionJob(name, work, self)
        job.core_event.connect(self._on_event)
        job.succeeded.connect(done)
        job.failed.connect(self._failed)
        job.cancelled.connect(self._cancelled)
        job.finished.connect(self._job_ended)
        self.job, self._retry = job, retry
        self._busy = True
        self._update()
        self.cancel_button.setFocus()  # the field that had it is disabled; Esc still cancels
        job.start()

    def cancel(self) -> None:
        """Ask the running job to stop (a download keeps what arrived, for a resume)."""
        if self._busy and self.job is not None:
            self.job.cancel()
            self.cancel_button.setEnabled(False)
            self.cancel_button.setText(self.tr("Stopping…"))

    def _on_event(self, e: ev.Event) -> None:
        if isinstance(e, ev.DownloadProgress):
            show_bytes(self.bar, self.status, e)
        elif isinstance(e, ev.Log):
            if e.message.startswith((self.tr("Verifying"), self.tr("Reading"), self.tr("Waiting"), self.tr("Looking"))):
                self.bar.setRange(0, 0)
            self.status.setText(e.message)

    def _idle(self) -> None:
        self._busy = False
        self._update()

    def _downloaded(self, result: tuple[Path, list[SplitSummary]]) -> None:
        folder, splits = result
        self.folder, self.splits, self._listed = folder, splits, self._job_key
        self._fill_splits()
        self._idle()
        if self._reused:
            self.message.show_message(self.tr("{name} was downloaded before — that copy is used (Advanced → Download "
                                          "again fetches it anew).").format(name=folder.name), "info")
        self.spec.setFocus()
        self.spec.selectAll()
        self._grow()
        self.downloaded.emit(folder)

    def _opened(self, ds: Dataset) -> None:
        self._idle()
        self.result_dataset, self.result_folder, self.result_spec = ds, self.folder, self._job_spec
        self.dataset_opened.emit(ds)
        self.accept()

    def opened_summary(self) -> str:
        """Where the rows Open returned come from, in one line: "train[:1000] of alpaca-gpt4-data-zh: 1,000
        prompt/completion pairs" ("" before; how they were converted is ``result_dataset.conversion``)."""
        ds = self.result_dataset
        if ds is None or self.result_folder is None:
            return ""
        return self.tr("{result_spec} of {name}: {n:,} {value}").format(result_spec=self.result_spec,
                                                                        name=self.result_folder.name, n=len(ds),
        value=core_i18n._(TARGET_NOUNS[ds.format][len(ds) != 1]))

    def _failed(self, message: str) -> None:
        self._idle()
        self._problem(message, self.spec if self._listed is not None else self.dataset_id, self._retry)

    def _cancelled(self, message: str) -> None:
        self._idle()
        self.message.show_message(message, "info")
        self._grow()

    def _job_ended(self) -> None:
        job = self.sender()
        if job is self.job:
            self.job = None
        if isinstance(job, FunctionJob):
            job.deleteLater()

    # -- the splits -------------------------------------------------------------------------------------------
    def _fill_splits(self) -> None:
        assert self.folder is not None
        self.splits_title.setText(self.tr("Splits of <b>{escape}</b>").format(escape=html.escape(self.folder.name)))
        self.splits_title.setToolTip(str(self.folder))
        self.tree.clear()
        for s in self.splits:
            files = s.files[0] if len(s.files) == 1 else self.tr("{files} + {value} more").format(
                files=s.files[0], value=len(s.files) - 1)
            item = QTreeWidgetItem([s.key, "—" if s.rows is None else f"{s.rows:,}", human_bytes(s.size), files])
            item.setData(0, Qt.ItemDataRole.UserRole, s.key)
            item.setToolTip(1, self.tr("Counted when opened") if s.rows is None
                            else self.tr("{rows:,} rows").format(rows=s.rows))
            item.setToolTip(3, "\n".join(s.files))
            for col in (1, 2):
                item.setTextAlignment(col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if s.problem:
                item.setIcon(0, icons.icon("warning"))
                item.setToolTip(0, s.problem)
            self.tree.addTopLevelItem(item)
        self.spec.clear()
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)

    def _split_chosen(self, item: QTreeWidgetItem | None, _previous: Any = None) -> None:
        if item is None:
            self.preview.clear()
            return
        key = str(item.data(0, Qt.ItemDataRole.UserRole))
        self.spec.setText(_with_split(self.spec.text(), key))
        self.spec.setPlaceholderText(key)
        s = next((x for x in self.splits if x.key == key), None)
        if s is None:
            return
        if s.problem:
            body = self.tr("cannot be read — {escape}").format(escape=html.escape(s.problem))
        elif s.first_row:
            body = self.tr("{escape}<br>First row — {escape2}").format(
                escape=html.escape(s.shape), escape2=html.escape(s.first_row))
        else:
            body = self.tr("Its rows are read when you open it (a large file).")
        self.preview.setText(f"<b>{html.escape(key)}</b>: {body}")
        self._grow()

    # -- closing ----------------------------------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        self._closing = False
        super().showEvent(event)

    def reject(self) -> None:
        """Esc: cancel the running job; when none runs, close."""
        if self._busy and not self._closing:
            self.cancel()
            return
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing (Close, the window's close button): a running job is cancelled and waited for first."""
        self.shutdown()
        self._closing = True
        super().closeEvent(event)

    def done(self, result: int) -> None:
        self.shutdown()
        super().done(result)

    def shutdown(self) -> None:
        """Cancel a running job and wait for it (a download keeps what arrived; one that cannot stop in time is
        kept running to the end of the app, never destroyed — see :mod:`mlxstudio.gui.quitting`)."""
        job = self.job
        if job is not None and shiboken6.isValid(job) and job.isRunning():
            job.cancel()
            quitting.stop_thread(job, STOP_WAIT_MS)
