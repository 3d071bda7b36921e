"""The main window: step navigator on the left, one page per step in a stack, menus, status bar, drag & drop.

Pages come from :data:`PAGES` ("module:Class" strings, imported lazily so start-up stays fast and a page that is not
written yet shows a tidy placeholder). A page class is ``Page(state: AppState, parent: QWidget | None = None)`` and
may define ``can_close() -> bool``, ``shutdown()``, ``install_menus(window)``, ``open_path(path) -> bool``,
``save_settings(s)``, ``restore_settings(s)``, and for the Next button ``can_prepare_next() -> bool`` (Next may be
pressed although the next step's input does not exist yet: the page makes it) and ``prepare_next() -> bool`` (called
before moving forward; False keeps the page on screen).

Reachability (the "Next" button and the navigator): Model is always open; Data needs a chosen model; Train needs a
model and a valid dataset; Fuse & Test needs an adapter. Going back to an earlier step is always allowed.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import logs
from mlxstudio.core.data import DATA_SUFFIXES
from mlxstudio.gui import icons, jobs, quitting, settings
from mlxstudio.gui.i18n import translate, translate_filter
from mlxstudio.gui.navigator import Navigator
from mlxstudio.gui.navigator import title as step_title
from mlxstudio.gui.state import STEPS, AppState
from mlxstudio.gui.status import StatusBar

PAGES: list[tuple[str, str]] = [
    ("model", "mlxstudio.gui.pages.model_page:ModelPage"),
    ("data", "mlxstudio.gui.pages.data_page:DataPage"),
    ("train", "mlxstudio.gui.pages.train_page:TrainPage"),
    ("test", "mlxstudio.gui.pages.test_page:TestPage"),
]
"""Step id → "module:Class" of its page."""

FILE_ROUTES: dict[str, str] = {".gguf": "model", **{suffix: "data" for suffix in DATA_SUFFIXES}}
"""Which page opens a dropped / opened file, by extension."""

DATASET_FILTER = f"Datasets ({' '.join('*' + s for s in DATA_SUFFIXES)});;All files (*)"
GGUF_FILTER = "GGUF models (*.gguf);;All files (*)"

DETECT_DELAY_MS = 300
"""How long after the last page loaded the backend detection (the first MLX import, off the GUI thread) starts."""

_log = logs.get_logger("mlxstudio.gui")


def route_for(path: Path) -> str | None:
    """The step whose page should open ``path`` (by extension, or by what a folder contains), or None."""
    path = Path(path)
    if path.is_dir():
        if (path / "adapter_config.json").exists() or (path / "adapters.safetensors").exists():
            return "test"
        if (path / "config.json").exists():
            return "model"
        from mlxstudio.core.data import find_split_files

        if "train" in find_split_files(path):
            return "data"
        return None
    return FILE_ROUTES.get(path.suffix.lower())


class Placeholder(QWidget):
    """What a step shows when its page is not built yet, or failed to load."""

    def __init__(self, step: str, title: str, text: str, error: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"placeholder-{step}")
        self.error = error
        lay = QVBoxLayout(self)
        lay.addStretch(2)
        icon = QLabel()
        icon.setPixmap((icons.status_icon("error") if error else icons.icon(step)).pixmap(48, 48))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        head = QLabel(title)
        font = head.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        head.setFont(font)
        head.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body = QLabel(text)
        body.setWordWrap(True)
        body.setAlignment(Qt.AlignmentFlag.AlignCenter)
        body.setForegroundRole(body.foregroundRole())
        body.setEnabled(False)  # the palette's dimmed text colour
        for w in (icon, head, body):
            lay.addWidget(w)
        if error:
            button = QPushButton(icons.icon("log"), self.tr("Show Log"))
            button.clicked.connect(show_log)
            lay.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addStretch(3)


def show_log() -> None:
    """Open the log file with the system's viewer (or say where it is)."""
    path = logs.log_file()
    if not path.exists():
        path.touch()
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        QMessageBox.information(None,
            translate("main_window", "Log file"), translate("main_window", "The log file is at\n{path}").format(
            path=path))


def show_crash_logs() -> None:
    """Help → Show Crash Logs: open the folder with the crash log (native crashes) and the workers' logs."""
    folder = logs.crash_log_file().parent
    folder.mkdir(parents=True, exist_ok=True)
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
        QMessageBox.information(None,
            translate("main_window", "Crash logs"), translate("main_window", "The crash logs are in\n{folder}").format(
            folder=folder))


class MainWindow(QMainWindow):
    """The MLX Studio window. ``state`` is shared with every page."""

    def __init__(self, state: AppState | None = None, parent: QWidget | None = None, load_all: bool = False) -> None:
        super().__init__(parent)
        self.state = state or AppState(self)
        self.setObjectName("main-window")
        self.setWindowTitle(self.tr("MLX Studio"))
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self._pages: dict[str, QWidget | None] = dict.fromkeys(STEPS)
        self._hosts: dict[str, QWidget] = {}
        self._host_layouts: dict[str, QVBoxLayout] = {}
        self._menus: dict[str, QMenu] = {}
        self._step_actions: dict[str, QAction] = {}
        self._current = STEPS[0]
        self._closed = False
        self._terminating = False
        self._dialogs: dict[str, QDialog] = {}

        self.navigator = Navigator(STEPS, self)
        self.stack = QStackedWidget(self)
        for step in STEPS:
            host = QWidget()
            host.setObjectName(f"host-{step}")
            layout = QVBoxLayout(host)
            layout.setContentsMargins(0, 0, 0, 0)
            self._hosts[step] = host
            self._host_layouts[step] = layout
            self.stack.addWidget(host)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("main-splitter")
        self.splitter.addWidget(self.navigator)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        self.splitter.setCollapsible(1, False)
        self.splitter.setSizes([230, 970])
        self.setCentralWidget(self.splitter)
        self.status = StatusBar(self.state, self)
        self.setStatusBar(self.status)
        self._build_menus()

        self.navigator.step_clicked.connect(self.show_page)
        self.navigator.next_clicked.connect(self.go_next)
        self.state.step_changed.connect(self._step_changed)
        self.state.changed.connect(self._update_reachable)
        self.state.show_page.connect(lambda step: self.show_page(step, force=True))
        for step in STEPS:
            self.navigator.item(step).set_status(self.state.step(step))

        self._restore()
        if load_all:
            self.load_all_pages()
        else:
            # the other pages load after the first paint (one per event-loop turn), so the window appears at once
            QTimer.singleShot(50, self._load_rest)

    # -- pages -------------------------------------------------------------------------------------------------
    def page(self, step: str) -> QWidget | None:
        """The page object of ``step`` (loaded now if needed), or None when it shows a placeholder."""
        if step not in self._pages:
            raise KeyError(step)
        if self._pages[step] is None and self._host_layouts[step].count() == 0:
            self._load_page(step)
        return self._pages[step]

    def load_all_pages(self) -> None:
        """Load every page now (tests; otherwise pages load right after the window is shown)."""
        for step in STEPS:
            self.page(step)
        QTimer.singleShot(DETECT_DELAY_MS, self._detect_backend)

    def _load_rest(self) -> None:
        if self._closed:
            return
        for step in STEPS:
            if self._pages[step] is None and self._host_layouts[step].count() == 0:
                self._load_page(step)
                QTimer.singleShot(0, self._load_rest)  # one page per event-loop turn: the window stays responsive
                return
        QTimer.singleShot(DETECT_DELAY_MS, self._detect_backend)

    def _detect_backend(self) -> None:
        """Once the pages are in: import MLX on a background thread and show the real backend in the status bar
        (the window starts with a guess, so it paints at once)."""
        if not self._closed and self.isVisible():
            self.status.detect_backend()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if all(self._pages[s] is not None or self._host_layouts[s].count() for s in STEPS):
            QTimer.singleShot(DETECT_DELAY_MS, self._detect_backend)  # shown after its pages were loaded

    def _load_page(self, step: str) -> None:
        spec = dict(PAGES).get(step)
        host = self._hosts[step]
        widget: QWidget
        title = step_title(step)
        try:
            if spec is None:
                raise ImportError(f"no page registered for {step!r}")
            module_name, _, class_name = spec.partition(":")
            module = importlib.import_module(module_name)
            cls = getattr(module, class_name)
        except (ImportError, AttributeError) as exc:
            _log.info("page %s not available: %s", step, exc)
            widget = Placeholder(step, self.tr("This step is being built"),
                                 self.tr("The {title} page is not part of this build yet. The other steps work "
                                     "without it.").format(title=title))
        else:
            try:
                page = cls(self.state, host)
            except Exception as exc:
                logs.log_exception(exc)
                widget = Placeholder(step, self.tr("The {title} page could not be opened").format(title=title),
                                     self.tr("{name}: {exc}\nThe details are in the log.").format(
                                         name=type(exc).__name__, exc=exc), error=True)
            else:
                self._pages[step] = page
                widget = page
                self._init_page(step, page)
        self._host_layouts[step].addWidget(widget)

    def _init_page(self, step: str, page: QWidget) -> None:
        s = settings.qsettings()
        for method, args in (("restore_settings", (s,)), ("install_menus", (self,))):
            fn = getattr(page, method, None)
            if callable(fn):
                try:
                    fn(*args)
                except Exception as exc:  # one page's bug must not take the window down
                    logs.log_exception(exc)
        self._tidy_menus()

    def loaded_pages(self) -> dict[str, QWidget]:
        """The pages that exist (placeholders excluded)."""
        return {k: v for k, v in self._pages.items() if v is not None}

    # -- navigation --------------------------------------------------------------------------------------------
    def current_step(self) -> str:
        return self._current

    def is_reachable(self, step: str) -> bool:
        """Whether the navigator lets a person go to ``step`` now: earlier steps and busy steps (a running job)
        always; later ones when their input exists."""
        if STEPS.index(step) <= STEPS.index(self._current) or self.state.step(step).busy:
            return True
        return self._input_ready(step)[0]

    def _input_ready(self, step: str) -> tuple[bool, str]:
        st = self.state
        if step == "data" and st.model is None:
            return False, self.tr("Choose a model first (step 1, Model).")
        if step == "train":
            if st.model is None:
                return False, self.tr("Choose a model first (step 1, Model).")
            if st.dataset is None:
                return False, self.tr("Open or create a valid dataset first (step 2, Data).")
        if step == "test" and st.adapter is None:
            return False, self.tr("Train an adapter first (step 3, Train), or open one with File → Open.")
        return True, ""

    def _current_page_call(self, name: str) -> Any:
        """Call the page on screen's optional ``name()`` (None when it has no such method)."""
        fn = getattr(self._pages.get(self._current), name, None)
        return fn() if callable(fn) else None

    def show_page(self, step: str, force: bool = False) -> bool:
        """Switch to ``step`` if it is reachable (or ``force``). Returns whether the page is now shown.

        Going forward, the page on screen may first hand over its work (``prepare_next()``: e.g. the Data page saves
        the split the Train page reads); when it says no, the page stays and shows why."""
        if step not in STEPS:
            return False
        if not force and STEPS.index(step) > STEPS.index(self._current) \
                and self._current_page_call("prepare_next") is False:
            return False
        if not force and not self.is_reachable(step):
            return False
        self.page(step)
        self._current = step
        self.stack.setCurrentWidget(self._hosts[step])
        self.navigator.set_current(step)
        action = self._step_actions.get(step)
        if action is not None:
            action.setChecked(True)
        self._update_reachable()
        return True

    def go_next(self) -> bool:
        """Go to the step after the current one (when its input exists)."""
        i = STEPS.index(self._current)
        return i + 1 < len(STEPS) and self.show_page(STEPS[i + 1])

    def _update_reachable(self) -> None:
        for step in STEPS:
            ok, reason = self._input_ready(step)
            reachable = ok or self.is_reachable(step)
            self.navigator.item(step).set_reachable(reachable, reason)
            action = self._step_actions.get(step)
            if action is not None:
                action.setEnabled(reachable)
        i = STEPS.index(self._current)
        if i + 1 < len(STEPS):
            nxt = STEPS[i + 1]
            ok, reason = self._input_ready(nxt)
            if not ok and self._current_page_call("can_prepare_next"):
                ok, reason = True, ""  # the page makes the next step's input when Next is pressed
            self.navigator.set_next(nxt, ok, reason)
        else:
            self.navigator.set_next(None, False)

    def _step_changed(self, step: str, status: Any) -> None:
        self.navigator.item(step).set_status(status)
        self._update_reachable()

    # -- menus -------------------------------------------------------------------------------------------------
    def menu(self, name: str) -> QMenu:
        """The menu called ``name`` ("File", "Edit", "Window", "Help", or a new one placed before Window)."""
        if name in self._menus:
            return self._menus[name]
        m = QMenu(f"&{name}", self)
        m.setObjectName(f"menu-{name.lower()}")
        before = None if name in ("Window", "Help") else (self._menus.get("Window") or self._menus.get("Help"))
        if before is not None:
            self.menuBar().insertMenu(before.menuAction(), m)
        else:
            self.menuBar().addMenu(m)
        self._menus[name] = m
        return m

    def action(self, text: str, slot: Callable[..., Any],
               shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
               icon: str | None = None, role: QAction.MenuRole | None = None) -> QAction:
        """A new action owned by the window (pages can use it for their menu items)."""
        act = QAction(text, self)
        if isinstance(shortcut, QKeySequence.StandardKey):
            act.setShortcuts(shortcut)  # every platform binding (Close is Ctrl+F4 *and* Ctrl+W on Linux)
        elif shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if icon:
            act.setIcon(icons.icon(icon))
        if role is not None:
            act.setMenuRole(role)
        act.triggered.connect(lambda _checked=False: slot())
        return act

    def _build_menus(self) -> None:
        file_menu = self.menu(self.tr("File"))
        self.menu(self.tr("Edit"))
        window_menu = self.menu(self.tr("Window"))
        help_menu = self.menu(self.tr("Help"))

        self.open_dataset_action = self.action(self.tr("Open Dataset…"), self.open_dataset_dialog,
                                               QKeySequence.StandardKey.Open, "open")
        self.import_gguf_action = self.action(self.tr("Import GGUF…"), self.import_gguf_dialog, None, "import")
        file_menu.addAction(self.open_dataset_action)
        file_menu.addAction(self.import_gguf_action)
        self.add_folder_action = self.action(
            self.tr("Add Model Folder…"), self.add_model_folder_dialog, None, "add-folder")
        file_menu.addAction(self.add_folder_action)
        self.recent_menu = file_menu.addMenu(self.tr("Open Recent"))
        self.recent_menu.setObjectName("menu-recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        self._file_tail: list[QAction] = [file_menu.addSeparator()]
        self.close_action = self.action(self.tr("Close Window"), self.close, QKeySequence.StandardKey.Close)
        file_menu.addAction(self.close_action)
        # App-menu items: roles make macOS move them into the application menu; elsewhere they stay here.
        self.preferences_action = self.action(self.tr("Preferences…"), self.show_preferences, "Ctrl+,", "settings",
                                              QAction.MenuRole.PreferencesRole)
        file_menu.addAction(self.preferences_action)
        self._file_tail += [self.close_action, self.preferences_action, file_menu.addSeparator()]
        self.quit_action = self.action(
            self.tr("Quit MLX Studio"), self.quit, "Ctrl+Q", "quit", QAction.MenuRole.QuitRole)
        file_menu.addAction(self.quit_action)
        self._file_tail.append(self.quit_action)

        self.minimize_action = self.action(self.tr("Minimize"), self.showMinimized, "Ctrl+M")
        window_menu.addAction(self.minimize_action)
        self.zoom_action = self.action(self.tr("Zoom"), lambda: self.showNormal() if self.isMaximized()
                                       else self.showMaximized())
        window_menu.addAction(self.zoom_action)
        window_menu.addSeparator()
        group = QActionGroup(self)
        group.setExclusive(True)
        for i, step in enumerate(STEPS, start=1):
            act = self.action(f"{i}  {step_title(step)}", lambda s=step: self.show_page(s), f"Ctrl+{i}", step)
            act.setCheckable(True)
            act.setChecked(step == self._current)
            group.addAction(act)
            window_menu.addAction(act)
            self._step_actions[step] = act

        self.show_log_action = self.action(self.tr("Show Log"), show_log, None, "log")
        help_menu.addAction(self.show_log_action)
        self.crash_logs_action = self.action(self.tr("Show Crash Logs"), show_crash_logs, None, "reveal")
        help_menu.addAction(self.crash_logs_action)
        help_menu.addSeparator()
        self.about_action = self.action(self.tr("About MLX Studio"), self.show_about, None, "about",
                                        QAction.MenuRole.AboutRole)
        help_menu.addAction(self.about_action)
        self._tidy_menus()

    def _tidy_menus(self) -> None:
        edit = self._menus.get("Edit")
        if edit is not None:
            edit.menuAction().setVisible(not edit.isEmpty())
        # Close Window, Preferences… and Quit stay last in File, below what the pages added (exports…)
        file_menu = self._menus.get("File")
        tail = getattr(self, "_file_tail", [])
        if file_menu is not None and tail and file_menu.actions()[-len(tail):] != tail:
            for act in tail:
                file_menu.removeAction(act)
                file_menu.addAction(act)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        items = settings.recent_files()
        for p in items:
            act = self.recent_menu.addAction(p.name)
            act.setToolTip(str(p))
            act.setStatusTip(str(p))
            act.triggered.connect(lambda _=False, p=p: self.open_path(p))
        if not items:
            none = self.recent_menu.addAction(self.tr("No recent files"))
            none.setEnabled(False)
        else:
            self.recent_menu.addSeparator()
            clear = self.recent_menu.addAction(self.tr("Clear Menu"))
            clear.triggered.connect(lambda: settings.RECENT_FILES.reset())

    # -- files -------------------------------------------------------------------------------------------------
    def open_path(self, path: Path | str) -> bool:
        """Open a file or folder in the page that handles it (by extension) and show that page."""
        path = Path(path)
        step = route_for(path)
        if step is None:
            self.status.showMessage(self.tr("MLX Studio can't open {name}: use a .gguf model, or a dataset "
                                        "(.jsonl, .json, .csv, .tsv, .parquet).").format(name=path.name), 8000)
            return False
        page = self.page(step)
        opener = getattr(page, "open_path", None)
        if not callable(opener):
            self.status.showMessage(self.tr("The {title} page can't open files yet ({name}).").format(
                title=step_title(step), name=path.name), 8000)
            return False
        self.show_page(step, force=True)
        try:
            ok = bool(opener(path))
        except Exception as exc:
            logs.log_exception(exc)
            QMessageBox.warning(self, self.tr("Could not open the file"), f"{path.name}: {exc}")
            return False
        if ok and path.is_file():
            settings.add_recent_file(path)
        return ok

    def open_dataset_dialog(self) -> None:
        """File → Open Dataset… (Ctrl+O)."""
        start = str(settings.recent_files()[0].parent) if settings.recent_files() else str(Path.home())
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Open Dataset"), start,
                                              translate_filter(DATASET_FILTER))
        if name:
            self.open_path(Path(name))

    def add_model_folder_dialog(self) -> None:
        """File → Add Model Folder…: the Model page's "Add Folder…" (a folder you already have, into the library)."""
        self.show_page("model", force=True)
        adder = getattr(self.page("model"), "add_folder_dialog", None)
        if callable(adder):
            adder()

    def import_gguf_dialog(self) -> None:
        """File → Import GGUF…: the Model page's importer (file dialog, progress, cancel)."""
        page = self.page("model")
        importer = getattr(page, "import_gguf_dialog", None) if page is not None else None
        if callable(importer):
            self.show_page("model", force=True)
            importer()
            return
        name, _ = QFileDialog.getOpenFileName(self, self.tr("Import GGUF"), str(Path.home()),
                                              translate_filter(GGUF_FILTER))
        if name:
            self.open_path(Path(name))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(route_for(p) for p in _local_paths(event)):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: Any) -> None:
        if any(route_for(p) for p in _local_paths(event)):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        paths_ = [p for p in _local_paths(event) if route_for(p)]
        if not paths_:
            event.ignore()
            return
        event.acceptProposedAction()
        for p in paths_:
            self.open_path(p)

    # -- dialogs -----------------------------------------------------------------------------------------------
    def show_preferences(self) -> None:
        """Preferences… (Ctrl+,)."""
        from mlxstudio.gui.preferences import PreferencesDialog

        dlg = self._dialogs.get("preferences")
        if dlg is None:
            dlg = PreferencesDialog(self)
            self._dialogs["preferences"] = dlg
            dlg.finished.connect(lambda _r: self._dialogs.pop("preferences", None))
        dlg.open()
        dlg.raise_()

    def show_about(self) -> None:
        """About MLX Studio."""
        from mlxstudio.gui.about import AboutDialog

        self.status.detect_backend()
        dlg = self._dialogs.get("about")
        if dlg is None:
            dlg = AboutDialog(self.status.backend_info, self)
            self.status.backend_detected.connect(dlg.set_backend)
            self._dialogs["about"] = dlg
            dlg.finished.connect(lambda _r: self._dialogs.pop("about", None))
        dlg.open()
        dlg.raise_()

    # -- settings / close --------------------------------------------------------------------------------------
    def _restore(self) -> None:
        s = settings.qsettings()
        if not settings.restore_geometry(s, "main", self):
            self.resize(1200, 800)
        settings.restore_splitter(s, "main", self.splitter)
        state = settings.load_state(s, "main")
        if state is not None:
            self.restoreState(state)
        active = settings.ACTIVE_MODEL.get(s)
        if active and Path(active).is_dir() and self.state.model is None:
            self.state.set_model(Path(active))
        last = settings.LAST_PAGE.get(s)
        if last not in STEPS:
            last = STEPS[0]
        # Load the pages up to the remembered one (they may restore what it needs), then show it if reachable.
        self.page(STEPS[0])
        for step in STEPS[1:STEPS.index(last) + 1]:
            if not self._input_ready(step)[0]:
                last = STEPS[max(0, STEPS.index(step) - 1)]
                break
            self.page(step)
        self.show_page(last, force=True)

    def save_settings(self) -> None:
        """Remember geometry, splitters, the page on screen, and let each page save its own settings."""
        s = settings.qsettings()
        settings.save_geometry(s, "main", self)
        settings.save_splitter(s, "main", self.splitter)
        settings.save_state(s, "main", self.saveState())
        settings.LAST_PAGE.set(self._current, s)
        settings.ACTIVE_MODEL.set(str(self.state.model) if self.state.model else "", s)
        for page in self.loaded_pages().values():
            fn = getattr(page, "save_settings", None)
            if callable(fn):
                try:
                    fn(s)
                except Exception as exc:
                    logs.log_exception(exc)
        s.sync()

    def can_close(self) -> bool:
        """Ask every page whether it may close (unsaved edits, a running job…)."""
        for page in self.loaded_pages().values():
            fn = getattr(page, "can_close", None)
            if callable(fn):
                try:
                    if not fn():
                        return False
                except Exception as exc:
                    logs.log_exception(exc)
        return True

    def shutdown(self) -> None:
        """Stop everything the pages run, and every background job. Worker processes get their graceful stop; the
        in-process threads are cancelled first and then share a few seconds (:mod:`~mlxstudio.gui.quitting`): one that
        cannot stop by then is kept running, never destroyed while it runs (Qt would abort the app)."""
        jobs.cancel_all()  # they wind down while the pages stop theirs
        with quitting.budget():
            self._shutdown_pages()
            self.status.wait()
            jobs.wait_all()

    def _shutdown_pages(self) -> None:
        for page in self.loaded_pages().values():
            fn = getattr(page, "shutdown", None)
            if callable(fn):
                try:
                    fn()
                except Exception as exc:
                    logs.log_exception(exc)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closed:
            event.accept()
            return
        if not self._terminating and not self.can_close():
            event.ignore()
            return
        self.save_settings()
        self.hide()  # the window goes at once; stopping the jobs happens behind it
        self.shutdown()
        self._closed = True
        for dlg in list(self._dialogs.values()):
            with contextlib.suppress(RuntimeError):
                dlg.close()
        event.accept()

    def quit(self) -> None:
        """File → Quit (Ctrl+Q): close the window (which asks the pages), then end the app."""
        from PySide6.QtWidgets import QApplication

        if self.close():
            app = QApplication.instance()
            if app is not None:
                app.quit()

    def terminate(self) -> None:
        """Close without asking (SIGTERM, log-out): settings saved, jobs stopped cleanly, unsaved dataset edits
        kept in the recovery file (offered again at the next start); then the app ends with exit code 0."""
        from PySide6.QtWidgets import QApplication

        self._terminating = True
        for w in QApplication.topLevelWidgets():  # a question on screen must not block the shutdown
            if w is not self and w.isModal() and w.isVisible():
                with contextlib.suppress(RuntimeError):
                    w.close()
        self.quit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            icons._icon.cache_clear()
            # rich-text labels keep the link colour of the palette they were laid out with: lay them out again
            for label in self.findChildren(QLabel):
                text = label.text()
                if "<a " in text and label.textFormat() != Qt.TextFormat.PlainText:
                    label.setText("")
                    label.setText(text)


def _local_paths(event: Any) -> list[Path]:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
