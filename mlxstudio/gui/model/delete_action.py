"""Deleting a model from the library on the Model page, after a confirmation.

A mixin for :class:`~mlxstudio.gui.pages.model_page.ModelPage`: it uses the page's ``state``, ``model``,
``message``, ``selected_info`` and ``refresh``. Deleting the active model clears the choice (and the remembered one).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QMessageBox, QWidget

from mlxstudio.core import logs
from mlxstudio.gui import settings
from mlxstudio.gui.i18n import translate
from mlxstudio.gui.model.banners import MessageBar
from mlxstudio.gui.model.format import human_size
from mlxstudio.gui.model.library_model import LibraryModel
from mlxstudio.gui.state import AppState


class DeleteAction(QWidget):
    """Delete the selected (or a given) model (mixed into the page; see the module docstring)."""

    state: AppState
    model: LibraryModel
    message: MessageBar

    if TYPE_CHECKING:  # provided by the page
        def selected_info(self) -> Any: ...
        def refresh(self, select: Path | None = None) -> bool: ...

    def delete_selected(self) -> None:
        info = self.selected_info()
        if info is not None:
            self.delete_model(info)

    def delete_model(self, info: Any) -> bool:
        """Delete ``info``'s folder from the library after a confirmation."""
        from mlxstudio.core.models import read_source

        origin = read_source(Path(info.path))
        what = (translate("DeleteAction",
                          "Only its links are removed: the files stay in {get}.").format(get=origin.get('added_from'))
                if origin.get("mode") == "link" else
                    translate("DeleteAction", "Its folder {path} is removed. This can't be undone.").format(
                    path=info.path))
        answer = QMessageBox.question(
            self, translate("DeleteAction", "Delete model?"),
            translate("DeleteAction", "Delete “{name}” ({size_bytes}) from the library?\n\n{what}").format(
                name=info.name, size_bytes=human_size(info.size_bytes), what=what),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        try:
            from mlxstudio.core import models

            models.delete_model(Path(info.path))
        except Exception as exc:
            logs.log_exception(exc)
            self.message.show_message(translate("DeleteAction", "{name} could not be deleted: {exc}").format(
                name=info.name, exc=exc), "error")
            return False
        if self.state.model is not None and self.model.row_of(self.state.model) == self.model.row_of(info.path):
            self.state.set_model(None)
            settings.ACTIVE_MODEL.reset()
        self.refresh()
        self.message.show_message(translate("DeleteAction", "Deleted {name}.").format(name=info.name), "info")
        return True
