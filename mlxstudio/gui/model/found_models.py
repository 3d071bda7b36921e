"""Looking for the models already on this computer, for the Model page's "Found on this computer" tab.

A mixin for :class:`~mlxstudio.gui.pages.model_page.ModelPage`: the scan
(:func:`mlxstudio.core.models.discover_models`: only the known store folders, small files) runs as a
:class:`~mlxstudio.gui.jobs.FunctionJob` when the tab is first shown and on "Look Again" — never on the GUI thread;
adding a found model goes through :mod:`.add_folder` (link a safetensors folder, import a GGUF). It uses the page's
``found``, ``library_tabs``, ``add_folder``, ``job_finished`` and ``message``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QTabWidget, QWidget

from mlxstudio.core import events, paths
from mlxstudio.gui import jobs, quitting
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.model.found_panel import FoundPanel

FOUND_TAB = QT_TRANSLATE_NOOP("found_models", "Found on This Computer")


class FoundModels(QWidget):
    """Scan the model stores off the GUI thread and add what the person picks (mixed into the page)."""

    found: FoundPanel
    library_tabs: QTabWidget
    scan_job: jobs.FunctionJob | None = None
    _scanned = False

    if TYPE_CHECKING:  # provided by the page and its other mixins
        def add_folder(self, path: Path, name: str | None = None, repo_id: str | None = None,
                       source: str | None = None, title: str | None = None) -> bool: ...

    def _tab_changed(self, index: int) -> None:
        if self.library_tabs.widget(index) is self.found and not self._scanned:
            self.scan_found()

    def show_found(self) -> None:
        """Switch to the "Found on this computer" tab (scanning the first time)."""
        self.library_tabs.setCurrentWidget(self.found)
        if not self._scanned:
            self.scan_found()

    def scan_found(self) -> bool:
        """Look through the stores again on a background thread (False: a scan is already running)."""
        if self.scan_job is not None:
            return False
        from mlxstudio.core.models import discover_models

        def run(_sink: events.Sink, cancel: jobs.CancelFlag) -> list[Any]:
            return discover_models(cancel=cancel)

        self._scanned = True
        job = jobs.FunctionJob(translate("FoundModels", "Looking for models"), run, self)
        job.succeeded.connect(self._scan_done)
        job.failed.connect(self._scan_failed)
        job.cancelled.connect(lambda _m: self._scan_finished())
        self.scan_job = job
        self.found.set_scanning()
        job.start()
        return True

    def _scan_finished(self) -> None:
        job, self.scan_job = self.scan_job, None
        if job is not None:
            job.wait()
            job.deleteLater()

    def _scan_done(self, items: Any) -> None:
        self._scan_finished()
        from mlxstudio.core.models.discover import STORES, store_roots

        home = str(Path.home())
        looked = [f"{STORES[store]}: {str(roots[0]).replace(home, '~', 1)}" for store, roots in store_roots().items()]
        items = list(items or [])
        self.found.set_found(items, looked)
        new = sum(1 for i in items if not i.in_library)
        index = self.library_tabs.indexOf(self.found)
        found = translate("found_models", FOUND_TAB)
        self.library_tabs.setTabText(index, f"{found} ({new})" if new else found)

    def _scan_failed(self, message: str) -> None:
        self._scan_finished()
        self.found.set_error(message)

    def add_found(self, item: Any) -> bool:
        """Add (or import) a found model: named after its repository; an Ollama tag gets ``name-tag``."""
        name = paths.unique_name(paths.models_dir(), item.library_name) if item.kind == "gguf" else None
        return self.add_folder(Path(item.path), name=name, repo_id=item.repo_id, source=f"{item.store}: {item.name}",
                               title=translate("FoundModels", "Adding {name}").format(name=item.name))

    def _after_job(self, outcome: str, _result: Any) -> None:
        """A finished add/import: the found list says "In Library" for it now."""
        if outcome == "ok" and self._scanned:
            self.scan_found()

    def stop_found_scan(self) -> None:
        """Cancel and wait for a running scan (the window is closing)."""
        if self.scan_job is not None:
            self.scan_job.cancel()
            quitting.stop_thread(self.scan_job, 10_000)
