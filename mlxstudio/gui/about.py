"""About MLX Studio: the app, mlx, mlx-lm and Qt versions, the compute backend, where files are kept.

Versions come from package metadata (``importlib.metadata``), so opening the dialog never imports MLX. The backend
line is filled in when the status bar's background detection finishes (:meth:`AboutDialog.set_backend`).
"""

from __future__ import annotations

import html
import platform
import sys
from importlib import metadata

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mlxstudio.core import logs, paths
from mlxstudio.core.runtime import backend
from mlxstudio.gui import icons
from mlxstudio.gui.i18n import translate


def package_version(*names: str) -> str:
    """The installed version of the first distribution in ``names`` that is installed, or "not installed"."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return translate("about", "not installed")


def version_rows() -> list[tuple[str, str]]:
    """(label, value) rows of the versions the About dialog shows."""
    mlx_extra = ""
    if sys.platform == "darwin":
        metal = package_version("mlx-metal")
        mlx_extra = translate("about", " (mlx-metal {metal})").format(metal=metal) if metal != "not installed" else ""
    else:
        cpu = package_version("mlx-cpu")
        mlx_extra = translate("about", " (mlx-cpu {cpu})").format(cpu=cpu) if cpu != "not installed" else ""
    return [
        (translate("about", "MLX Studio"), package_version("mlxstudio")),
        ("mlx", package_version("mlx") + mlx_extra),
        ("mlx-lm", package_version("mlx-lm", "mlx_lm")),
        (translate("about", "Qt"), translate("about", "{qVersion} (PySide6 {pyside_version})").format(
            qVersion=qVersion(), pyside_version=pyside_version)),
        (translate("about", "Python"), platform.python_version()),
        (translate("about", "System"), f"{platform.system()} {platform.release()} ({platform.machine()})"),
    ]


class AboutDialog(QDialog):
    """The About box. ``info`` is the detected backend, or None while detection still runs."""

    def __init__(self, info: backend.BackendInfo | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about-dialog")
        self.setWindowTitle(self.tr("About MLX Studio"))
        self.backend_text = self.tr("{name} (checking…)").format(name=backend.guess_backend_name())
        logo = QLabel()
        logo.setPixmap(icons.app_icon().pixmap(64, 64))
        logo.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(self.tr("<b style='font-size:large'>MLX Studio</b><br>"
                       "Fine-tune a small language model on your own machine."))
        title.setWordWrap(True)
        self.details = QLabel()
        self.details.setObjectName("about-details")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head = QHBoxLayout()
        head.addWidget(logo)
        head.addWidget(title, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = buttons.addButton(self.tr("Copy Versions"), QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_to_clipboard)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addLayout(head)
        lay.addWidget(self.details)
        lay.addWidget(buttons)
        self.set_backend(info)
        self.setMinimumWidth(460)

    def rows(self) -> list[tuple[str, str]]:
        """Everything the dialog lists, as (label, value)."""
        return [*version_rows(), (self.tr("Compute backend"), self.backend_text),
                (self.tr("Library"), str(paths.models_dir())), (self.tr("Log file"), str(logs.log_file()))]

    def set_backend(self, info: backend.BackendInfo | None) -> None:
        """Show the detected backend (called when the background detection finishes)."""
        if info is not None:
            self.backend_text = f"{info.summary()} — {info.note}"
        cells = "".join(
            f"<tr><td style='padding-right:12px'><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
            for k, v in self.rows()
        )
        self.details.setText(f"<table>{cells}</table>")
        self.details.setWordWrap(True)

    def text(self) -> str:
        """The rows as plain text (what Copy Versions puts on the clipboard)."""
        return "\n".join(f"{k}: {v}" for k, v in self.rows())

    def copy_to_clipboard(self) -> None:
        QApplication.clipboard().setText(self.text())
