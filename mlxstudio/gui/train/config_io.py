"""Import and export of the Train page's settings as YAML (mlx-lm's ``--config`` format) through file dialogs: a
file that cannot be read or written is said in a message box, what was done in the page's log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from mlxstudio.core.errors import UserError

if TYPE_CHECKING:
    from mlxstudio.gui.pages.train_page import TrainPage


def import_dialog(page: TrainPage) -> None:
    """Ask for a YAML file and fill the form with it (settings it cannot apply are listed in the log)."""
    path, _ = QFileDialog.getOpenFileName(page, "Import training settings", "", "YAML (*.yaml *.yml)")
    if not path:
        return
    try:
        notes = page.form.import_yaml(path)
    except UserError as exc:
        QMessageBox.warning(page, "Cannot import these settings", str(exc))
        return
    page.log.append_line(f"Imported settings from {path}")
    for n in notes:
        page.log.append_line(f"Not applied: {n}", "warning")


def export_dialog(page: TrainPage) -> None:
    """Ask where to save the form's settings as YAML and save them."""
    path, _ = QFileDialog.getSaveFileName(page, "Export training settings", "train-config.yaml",
                                          "YAML (*.yaml *.yml)")
    if not path:
        return
    try:
        page.form.export_yaml(path)
    except (UserError, OSError) as exc:
        QMessageBox.warning(page, "Cannot export these settings", str(exc))
        return
    page.log.append_line(f"Exported settings to {path} (use with: mlx_lm.lora --config {path})")
