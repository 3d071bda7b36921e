"""Bringing a model someone already has on the Model page: "Add Folder…", a dropped folder or file, and a model
folder in use outside the library.

A mixin for :class:`~mlxstudio.gui.pages.model_page.ModelPage`. Adding runs
:func:`mlxstudio.core.models.add_model_folder` as a background job of the page (:mod:`.import_jobs`' busy strip with
progress and Cancel): a safetensors checkpoint is linked into the library (no second copy), a GGUF is imported.
A dropped folder is used where it is, as before — and now listed as a row "outside the library" with the same
details and memory estimate as a library model, and one click to add it. It uses the page's ``state``, ``message``,
``job``, ``_start_job``, ``import_gguf``, ``use_model`` and ``refresh``.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QFileDialog, QWidget

from mlxstudio.core import events, logs, paths
from mlxstudio.gui import jobs
from mlxstudio.gui.i18n import QT_TRANSLATE_NOOP, translate
from mlxstudio.gui.model.banners import MessageBar
from mlxstudio.gui.state import AppState

OUTSIDE_SOURCE = QT_TRANSLATE_NOOP("add_folder", "folder outside the library")
"""The ``source`` of a model used where it is (English; shown through :func:`source_text`)."""


def source_text(source: str | None) -> str:
    """A model's source as the window shows it."""
    return translate("add_folder", source) if source == OUTSIDE_SOURCE else (source or "—")


def in_library(path: Path | str) -> bool:
    """Whether ``path`` is a model folder of the library (not a folder used where it is)."""
    return os.path.abspath(Path(path).parent) == os.path.abspath(paths.models_dir())


class AddFolder(QWidget):
    """Add a model folder to the library; show a folder used outside it (mixed into the page)."""

    state: AppState
    message: MessageBar
    job: jobs.FunctionJob | None
    _active_info: Any

    if TYPE_CHECKING:  # provided by the page and its other mixins
        def _start_job(self, title: str, fn: Any) -> bool: ...
        def import_gguf(self, path: Path, name: str | None = None) -> bool: ...
        def use_model(self, info: Any) -> bool: ...
        def refresh(self, select: Path | None = None) -> bool: ...

    def add_folder_dialog(self) -> None:
        """Ask for a model folder (e.g. what `modelscope download --local_dir` wrote) and add it."""
        name = QFileDialog.getExistingDirectory(self, translate("AddFolder", "Add a Model Folder"), str(Path.home()))
        if name:
            self.add_folder(Path(name))

    def add_folder(self, path: Path, name: str | None = None, repo_id: str | None = None,
                   source: str | None = None, title: str | None = None) -> bool:
        """Add the model folder (or GGUF) ``path`` to the library on a background thread (False: not started)."""
        if self.job is not None:
            self.message.show_message(translate("AddFolder",
                                                "Another import is running: wait for it or cancel it first."),
            "warning")
            return False
        path = Path(path)
        if not path.exists():
            self.message.show_message(translate("AddFolder", "{path} does not exist any more.").format(path=path),
                                      "error")
            return False
        from mlxstudio.core.models import add_model_folder

        def run(sink: events.Sink, cancel: jobs.CancelFlag) -> Path:
            return add_model_folder(path, name=name, repo_id=repo_id, source=source, sink=sink, cancel=cancel)

        return self._start_job(title or translate("AddFolder", "Adding {name}").format(name=path.name), run)

    def open_path(self, path: Path) -> bool:
        """A dropped / opened file: a .gguf is imported; a model folder becomes the active model where it is (it is
        listed as outside the library, with [Add to Library])."""
        path = Path(path)
        if path.is_file() and path.suffix.lower() == ".gguf":
            return self.import_gguf(path)
        if not path.is_dir():
            return False
        try:
            from mlxstudio.core import models

            models.validate_model_dir(path)
            info = models.inspect_model(path)
        except Exception as exc:
            self.message.show_message(translate("AddFolder", "{name} is not a usable model folder: {exc}").format(
                name=path.name, exc=exc), "error")
            return False
        if in_library(path):
            return self.use_model(info)
        self._active_info = dataclasses.replace(info, source=OUTSIDE_SOURCE)
        self.use_model(self._active_info)
        self.refresh(select=path)  # listed as a row of its own: details and memory estimate
        self.message.show_message(translate("AddFolder",
                                            "Using the model folder {path} where it is (outside the library). Add "
                                      "it to the library to keep it in the list.").format(
                                          path=path), "info", translate("AddFolder", "Add to Library"),
                                  lambda: self.add_folder(path))
        return True

    def outside_rows(self, infos: list[Any]) -> list[Any]:
        """The active model as an extra row when it is a folder outside the library (so the page shows its details
        and memory estimate instead of "the library is empty")."""
        active = self.state.model
        if active is None or in_library(active) or not Path(active).is_dir():
            return []
        want = os.path.abspath(active)
        if any(os.path.abspath(i.path) == want for i in infos):
            return []
        try:
            from mlxstudio.core import models

            return [dataclasses.replace(models.inspect_model(Path(active)), source=OUTSIDE_SOURCE)]
        except Exception as exc:
            logs.get_logger("mlxstudio.gui").info("could not inspect %s: %s", active, exc)
            return []
