"""Import and export of the Train page's settings as YAML (mlx-lm's ``--config`` format) through file dialogs: a
file that cannot be read or written is said in a message box, what was done in the page's log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from mlxstudio.core.errors import UserError
from mlxstudio.gui.i18n import translate

if TYPE_CHECKING:
    from mlxstudio.gui.pages.train_page import TrainPage


def import_dialog(page: TrainPage) -> None:
    """Ask for a YAML file and fill the form with it (settings it cannot apply are listed on the page, above the
    form — :class:`~mlxstudio.gui.train.import_notes.ImportNotes` — and in the log)."""
    path, _ = QFileDialog.getOpenFileName(page,
        translate("config_io", "Import training settings"), "", translate("config_io", "YAML (*.yaml *.yml)"))
    if not path:
        return
    try:
        notes = page.form.import_yaml(path)
    except UserError as exc:
        QMessageBox.warning(page, translate("config_io", "Cannot import these settings"), str(exc))
        return
    page.log.append_line(translate("config_io", "Imported settings from {path}").format(path=path))
    for n in notes:
        page.log.append_line(translate("config_io", "Not applied: {n}").format(n=n), "warning")


def export_dialog(page: TrainPage) -> None:
    """Ask where to save the form's settings as YAML and save them."""
    path, _ = QFileDialog.getSaveFileName(page, translate("config_io", "Export training settings"), "train-config.yaml",
                                          translate("config_io", "YAML (*.yaml *.yml)"))
    if not path:
        return
    try:
        page.form.export_yaml(path)
    except (UserError, OSError) as exc:
        QMessageBox.warning(page, translate("config_io", "Cannot export these settings"), str(exc))
        return
    page.log.append_line(
        translate("config_io", "Exported settings to {path} (use with: mlx_lm.lora --config {path2})").format(
        path=path, path2=path))
