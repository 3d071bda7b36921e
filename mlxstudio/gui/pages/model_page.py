"""Step 1 — Model: the local library, add a folder or import a GGUF, the models already on this computer, install the
demo model, download from a hub; choose one.

A thin page: listing, inspecting, importing and deleting models is :mod:`mlxstudio.core.models` (the library, GGUF
import, the demo model); downloads are the download panel's. Imports run on a background thread
(:class:`mlxstudio.gui.jobs.FunctionJob`) with a progress strip and Cancel, so the window never freezes. Choosing a
model sets :meth:`AppState.set_model` and the step's summary ("SmolLM2-135M-Instruct · 4-bit · 98 MB"); the window
remembers it across restarts. The page builds its widgets and wires them; the imports, adding a folder (and a folder
used outside the library), "Found on this computer", deleting, the step summary and the download box are mixins in
:mod:`mlxstudio.gui.model` (``import_jobs``, ``add_folder``, ``found_models``, ``delete_action``, ``step_summary``,
``download_hookup``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QFileSystemWatcher,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QSettings,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import logs, paths
from mlxstudio.gui import icons, jobs, quitting, settings
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.model.add_folder import AddFolder
from mlxstudio.gui.model.banners import BusyStrip, MessageBar
from mlxstudio.gui.model.delete_action import DeleteAction
from mlxstudio.gui.model.detail_panel import DetailPanel
from mlxstudio.gui.model.download_hookup import DownloadHookup
from mlxstudio.gui.model.empty_state import EmptyLibrary
from mlxstudio.gui.model.found_models import FOUND_TAB, FoundModels
from mlxstudio.gui.model.found_panel import FoundPanel
from mlxstudio.gui.model.import_jobs import ImportJobs
from mlxstudio.gui.model.library_model import PATH_ROLE, SORT_ROLE, SOURCE_COLUMN, LibraryModel
from mlxstudio.gui.model.step_summary import StepSummary
from mlxstudio.gui.state import AppState


class ModelPage(ImportJobs, AddFolder, FoundModels, DeleteAction, DownloadHookup, StepSummary):
    """The Model page (see the module docstring)."""

    library_changed = Signal()
    """The library was listed again (after a refresh, an import, a delete)."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("model-page")
        self.state = state
        self.job: jobs.FunctionJob | None = None
        self._job_title = ""
        self._job_warnings: list[str] = []
        self._pending_select: Path | None = None
        self._active_info: Any = None
        self.download_panel: QWidget | None = None

        # header
        title = QLabel(self.tr("Model"))
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setWeight(QFont.Weight.DemiBold)
        title.setFont(font)
        subtitle = QLabel(
            self.tr("Choose the model to fine-tune: add a model folder you already have, import a GGUF file, "
                          "install the demo model, or download one from a hub."))
        subtitle.setWordWrap(True)
        self.add_folder_button = QPushButton(icons.icon("add-folder"), self.tr("Add Folder…"))
        self.add_folder_button.setObjectName("add-folder")
        self.add_folder_button.setToolTip(self.tr("Add a model folder you already have (e.g. from `modelscope download "
                                          "--local_dir`): linked into the library, no second copy."))
        self.add_folder_button.clicked.connect(self.add_folder_dialog)
        self.import_button = QPushButton(icons.icon("import"), self.tr("Import GGUF…"))
        self.import_button.setObjectName("import-gguf")
        self.import_button.clicked.connect(self.import_gguf_dialog)
        self.demo_button = QPushButton(icons.icon("demo"), self.tr("Demo Model"))
        self.demo_button.setObjectName("demo-model")
        self.demo_button.setToolTip(self.tr("Install SmolLM2-135M-Instruct (98 MB), the model the tutorial uses."))
        self.demo_button.clicked.connect(self.install_demo)
        self.refresh_button = QPushButton(icons.icon("refresh"), "")
        self.refresh_button.setToolTip(self.tr("List the library again"))
        self.refresh_button.clicked.connect(self.refresh)
        head = QHBoxLayout()
        texts = QVBoxLayout()
        texts.addWidget(title)
        texts.addWidget(subtitle)
        head.addLayout(texts, 1)
        head.addWidget(self.demo_button, 0, Qt.AlignmentFlag.AlignBottom)
        head.addWidget(self.add_folder_button, 0, Qt.AlignmentFlag.AlignBottom)
        head.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignBottom)
        head.addWidget(self.refresh_button, 0, Qt.AlignmentFlag.AlignBottom)

        self.message = MessageBar()
        self.busy = BusyStrip()
        self.busy.cancel_requested.connect(self.cancel_job)

        # library: table | detail
        self.model = LibraryModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setObjectName("library-table")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.doubleClicked.connect(lambda _i: self.use_selected())
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setMinimumSectionSize(40)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)  # sized by _fit_name_column
        header.setSectionResizeMode(SOURCE_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(SOURCE_COLUMN, 110)
        header.sectionResized.connect(lambda i, _old, _new: self._fit_name_column() if i != 0 else None)
        self.table.viewport().installEventFilter(self)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.detail = DetailPanel()
        self.detail.use_requested.connect(self.use_model)
        self.detail.delete_requested.connect(self.delete_model)
        self.detail.add_requested.connect(lambda info: self.add_folder(Path(info.path)))
        self.library_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.library_splitter.setObjectName("library-splitter")
        self.library_splitter.addWidget(self.table)
        self.library_splitter.addWidget(self.detail)
        self.library_splitter.setStretchFactor(0, 3)
        self.library_splitter.setStretchFactor(1, 2)
        self.library_splitter.setSizes([620, 360])
        self.library_splitter.setChildrenCollapsible(False)

        self.empty = EmptyLibrary()
        self.empty.demo_clicked.connect(self.install_demo)
        self.empty.import_clicked.connect(self.import_gguf_dialog)
        self.empty.add_folder_clicked.connect(self.add_folder_dialog)
        self.empty.found_clicked.connect(self.show_found)
        self.library_stack = QStackedWidget()
        self.library_stack.addWidget(self.empty)
        self.library_stack.addWidget(self.library_splitter)
        self.found = FoundPanel()
        self.found.add_requested.connect(self.add_found)
        self.found.rescan_requested.connect(self.scan_found)
        self.job_finished.connect(self._after_job)
        self.library_tabs = QTabWidget()
        self.library_tabs.setObjectName("library-tabs")
        self.library_tabs.setDocumentMode(True)
        self.library_tabs.addTab(self.library_stack, icons.icon("library"), self.tr("Library"))
        self.library_tabs.addTab(self.found, icons.icon("found"), translate("found_models", FOUND_TAB))
        self.library_tabs.currentChanged.connect(self._tab_changed)

        self.download_box = QGroupBox(self.tr("Download from a hub"))
        self.download_box.setObjectName("download-box")
        QVBoxLayout(self.download_box).addWidget(self._make_download_panel())

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("model-splitter")
        self.splitter.addWidget(self.library_tabs)
        self.splitter.addWidget(self.download_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        # the splitter guarantees the download box only its minimum height, which ignores wrapped text: a two-line
        # error was cut in half at 1024 px. The box grows when its content does (see _fit_download_box).
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_download_box)
        self.download_box.installEventFilter(self)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 8)
        lay.addLayout(head)
        lay.addWidget(self.message)
        lay.addWidget(self.busy)
        lay.addWidget(self.splitter, 1)

        delete = QAction(self.tr("Delete Model…"), self)
        delete.setShortcuts([QKeySequence(QKeySequence.StandardKey.Delete), QKeySequence("Backspace")])
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self.delete_selected)
        self.table.addAction(delete)
        use = QAction(self.tr("Use This Model"), self)
        use.setShortcuts([QKeySequence("Return"), QKeySequence("Enter")])
        use.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        use.triggered.connect(self.use_selected)
        self.table.addAction(use)

        # the library folder is watched so models added by the CLI (or removed in Finder) show up
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(400)
        self._refresh_timer.timeout.connect(self._watched_refresh)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(lambda _p: self._refresh_timer.start())

        state.model_changed.connect(self._model_changed)
        # the dataset's real row lengths for the selected model (memory estimate), counted off the GUI thread
        from mlxstudio.gui.train.token_stats import TokenStatsJob

        self.token_stats = TokenStatsJob(self)
        self.token_stats.ready.connect(lambda _s: self._show_dataset_lengths())
        state.dataset_changed.connect(lambda _p: self._show_dataset_lengths())
        state.reasoning_changed.connect(lambda _m: self._show_dataset_lengths())  # counted as trained
        self.refresh()
        self._model_changed(state.model)

    # -- library -----------------------------------------------------------------------------------------------
    def refresh(self, select: Path | None = None) -> bool:
        """List the library again (keeping the selection, or selecting ``select``). False when it failed."""
        keep = select or self.selected_path()
        try:
            from mlxstudio.core import models

            infos = models.list_models()
            infos += self.outside_rows(infos)  # a folder in use where it is: a row with details too
        except Exception as exc:
            logs.log_exception(exc)
            self.model.set_models([])
            self.message.show_message(self.tr("The model library could not be read: {exc}").format(
                exc=exc), "error", self.tr("Try Again"),
                                      self.refresh)
            self._show_library(error=True)
            return False
        self.model.set_models(infos)
        self.model.set_active(self.state.model)
        self._show_library()
        self._fit_name_column()
        lib = str(paths.models_dir())
        if lib not in self.watcher.directories():
            self.watcher.addPath(lib)
        if keep is not None and self.select(keep):
            pass
        elif self.model.rowCount() and not self.table.selectionModel().hasSelection():
            row = self.model.row_of(self.state.model) if self.state.model else None
            self._select_source_row(row if row is not None else None)
        self._current_changed()
        self.library_changed.emit()
        return True

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if obj is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._fit_name_column()
        elif obj is self.download_box and event.type() in (QEvent.Type.LayoutRequest, QEvent.Type.Resize):
            self._fit_timer.start()
        return super().eventFilter(obj, event)

    def _fit_download_box(self) -> None:
        """Make the download box as tall as its content needs at its width (a wrapped message, the progress,
        Advanced opened), taking the room from the library above; never shrinks what the person dragged open."""
        box = self.download_box
        need = max(box.sizeHint().height(), box.heightForWidth(box.width()) if box.hasHeightForWidth() else 0)
        sizes = self.splitter.sizes()
        if len(sizes) == 2 and 0 < sizes[1] < need:
            self.splitter.setSizes([max(0, sum(sizes) - need), need])

    def _fit_name_column(self) -> None:
        """The Name column takes the room the others leave, but never less than its longest name (up to 280 px):
        a name elided to "SmolLM...struct" hides which model it is, so the table scrolls sideways instead."""
        header = self.table.horizontalHeader()
        others = sum(header.sectionSize(i) for i in range(1, header.count()))
        needed = min(280, max(140, self.table.sizeHintForColumn(0)))  # what the delegate needs for the names
        header.resizeSection(0, max(needed, self.table.viewport().width() - others))

    def _watched_refresh(self) -> None:
        if self.job is None:
            self.refresh()

    def _show_library(self, error: bool = False) -> None:
        empty = self.model.rowCount() == 0
        self.library_stack.setCurrentWidget(self.empty if empty and not error else self.library_splitter)
        self.demo_button.setVisible(empty)

    def infos(self) -> list[Any]:
        """The ``ModelInfo`` rows on screen."""
        return self.model.infos()

    def _info_for(self, path: Path) -> Any:
        row = self.model.row_of(path)
        return None if row is None else self.model.info(row)

    def selected_path(self) -> Path | None:
        idx = self.table.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        return Path(self.proxy.data(idx, PATH_ROLE))

    def selected_info(self) -> Any:
        idx = self.table.selectionModel().currentIndex()
        if not idx.isValid():
            return None
        return self.model.info(self.proxy.mapToSource(idx).row())

    def select(self, path: Path | str) -> bool:
        """Select the model at ``path`` (or with that name) in the table."""
        row = self.model.row_of(path)
        if row is None:
            return False
        self._select_source_row(row)
        return True

    def _select_source_row(self, row: int | None) -> None:
        idx = self.proxy.index(0, 0) if row is None else self.proxy.mapFromSource(self.model.index(row, 0))
        if idx.isValid():
            self.table.selectionModel().setCurrentIndex(
                idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            self.table.scrollTo(idx)

    def _current_changed(self, *_: QModelIndex) -> None:
        info = self.selected_info()
        active = info is not None and self.state.model is not None and self.model.row_of(self.state.model) == \
            self.model.row_of(info.path)
        self.detail.dataset_lengths = None
        self.detail.show_info(info, active=active)
        self._show_dataset_lengths()

    def _show_dataset_lengths(self) -> None:
        info = self.selected_info()
        if info is None or getattr(info, "problem", None) or self.state.dataset is None:
            self.detail.set_dataset_lengths(None)
            return
        self.detail.set_dataset_lengths(self.token_stats.request(Path(info.path), self.state.dataset,
                                                                 self.state.reasoning))

    def _context_menu(self, pos: Any) -> None:
        idx = self.table.indexAt(pos)
        if not idx.isValid():
            return
        info = self.model.info(self.proxy.mapToSource(idx).row())
        menu = QMenu(self)
        use = menu.addAction(icons.icon("use"), self.tr("Use This Model"))
        use.setEnabled(not getattr(info, "problem", None))
        use.triggered.connect(lambda: self.use_model(info))
        from mlxstudio.gui.model.detail_panel import REVEAL_TEXT, reveal

        menu.addAction(icons.icon("reveal"),
                       translate("detail_panel", REVEAL_TEXT)).triggered.connect(lambda: reveal(Path(info.path)))
        menu.addSeparator()
        menu.addAction(icons.icon("delete"), self.tr("Delete…")).triggered.connect(lambda: self.delete_model(info))
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # -- choose ------------------------------------------------------------------------------------------------
    def use_selected(self) -> None:
        info = self.selected_info()
        if info is not None:
            self.use_model(info)

    def use_model(self, info: Any) -> bool:
        """Make ``info`` the active model for the other pages."""
        problem = getattr(info, "problem", None)
        if problem:
            self.message.show_message(self.tr("{name} can't be used: {problem}").format(
                name=info.name, problem=problem), "error")
            return False
        self._active_info = info
        self.state.set_model(Path(info.path))
        settings.ACTIVE_MODEL.set(str(info.path))
        self.message.hide()
        return True

    def _model_changed(self, path: Path | None) -> None:
        self.model.set_active(path)
        if path is None:
            self._active_info = None
        elif self._active_info is None or Path(self._active_info.path) != Path(path):
            self._active_info = self._info_for(Path(path)) or self._inspect(Path(path))
        self._current_changed()
        self._publish_step()

    @staticmethod
    def _inspect(path: Path) -> Any:
        try:
            from mlxstudio.core import models

            return models.inspect_model(path)
        except Exception as exc:
            logs.get_logger("mlxstudio.gui").info("could not inspect %s: %s", path, exc)
            return None

    # -- page protocol (open_path: add_folder.AddFolder) -------------------------------------------------------
    def can_close(self) -> bool:
        """Closing during an import or a download asks first (an import is cancelled, nothing half-done is kept;
        a download keeps what arrived and resumes next time)."""
        downloading = self._downloading()
        if self.job is None and downloading:
            answer = QMessageBox.question(
                self, self.tr("Stop the download?"),
                self.tr("{downloading} is still downloading. Stop it and quit?\nWhat has "
                        "arrived is kept: Download resumes it next time.").format(downloading=downloading),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            return answer == QMessageBox.StandardButton.Yes
        if self.job is None:
            return True
        answer = QMessageBox.question(
            self, self.tr("Stop the import?"),
            self.tr("{job_title} is still running. Stop it and quit?\nNothing half-imported "
                                          "is kept.").format(job_title=self._job_title),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def shutdown(self) -> None:
        """Cancel and wait for a running import (and the token count of the memory estimate)."""
        self.token_stats.shutdown()
        self.stop_found_scan()
        if self.job is not None:
            self.job.cancel()
            quitting.stop_thread(self.job, 30_000)  # an import step that cannot stop in time is kept, not destroyed
        shutdown = getattr(self.download_panel, "shutdown", None)
        if callable(shutdown):
            shutdown()

    def save_settings(self, s: QSettings) -> None:
        settings.save_splitter(s, "model/library", self.library_splitter)
        settings.save_splitter(s, "model/page", self.splitter)
        s.setValue("model/source_column_width", self.table.horizontalHeader().sectionSize(SOURCE_COLUMN))
        fn = getattr(self.download_panel, "save_settings", None)
        if callable(fn):
            fn(s)

    def restore_settings(self, s: QSettings) -> None:
        settings.restore_splitter(s, "model/library", self.library_splitter)
        settings.restore_splitter(s, "model/page", self.splitter)
        width = settings.typed_value(s, "model/source_column_width", 110)
        self.table.horizontalHeader().resizeSection(SOURCE_COLUMN, max(60, min(int(width), 600)))
        fn = getattr(self.download_panel, "restore_settings", None)
        if callable(fn):
            fn(s)
