"""Vector icons (qtawesome) that follow the palette and stay sharp on high-DPI screens.

Use :func:`icon` with one of the names in :data:`NAMES` (semantic names, so a page says ``icon("delete")`` and the
icon set can change in one place). Colours come from the application palette, so icons stay visible in dark mode.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication

NAMES: dict[str, str] = {
    "model": "mdi6.cube-outline",
    "data": "mdi6.table-edit",
    "train": "mdi6.chart-line",
    "test": "mdi6.message-text-outline",
    "ready": "mdi6.check-circle",
    "busy": "mdi6.progress-clock",
    "pending": "mdi6.circle-outline",
    "next": "mdi6.arrow-right",
    "import": "mdi6.file-import-outline",
    "download": "mdi6.cloud-download-outline",
    "demo": "mdi6.star-outline",
    "delete": "mdi6.trash-can-outline",
    "use": "mdi6.check-bold",
    "reveal": "mdi6.folder-open-outline",
    "refresh": "mdi6.refresh",
    "cancel": "mdi6.close-circle-outline",
    "error": "mdi6.alert-circle-outline",
    "warning": "mdi6.alert-outline",
    "info": "mdi6.information-outline",
    "cpu": "mdi6.chip",
    "log": "mdi6.text-box-search-outline",
    "settings": "mdi6.cog-outline",
    "about": "mdi6.information-outline",
    "quit": "mdi6.exit-to-app",
    "open": "mdi6.folder-open-outline",
    "close": "mdi6.close",
    "library": "mdi6.bookshelf",
    "app": "mdi6.tune-variant",
}
"""Semantic icon names → qtawesome names."""


def _palette_color(role: QPalette.ColorRole) -> QColor:
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return palette.color(QPalette.ColorGroup.Active, role)


def text_color() -> QColor:
    """The palette's text colour (what icons use by default)."""
    return _palette_color(QPalette.ColorRole.WindowText)


def accent_color() -> QColor:
    """The palette's highlight colour (the selection/accent colour)."""
    return _palette_color(QPalette.ColorRole.Highlight)


@cache
def _icon(qta_name: str, color: str, disabled: str) -> QIcon:
    import qtawesome as qta

    try:
        return qta.icon(qta_name, color=color, color_disabled=disabled)
    except Exception:  # an icon font without this glyph: an empty icon is better than a crash
        return QIcon()


def icon(name: str, color: QColor | None = None) -> QIcon:
    """The icon for a semantic ``name`` (see :data:`NAMES`) or a raw qtawesome name, in the palette's colours."""
    qta_name = NAMES.get(name, name)
    c = color or text_color()
    disabled = _palette_color(QPalette.ColorRole.PlaceholderText)
    return _icon(qta_name, c.name(QColor.NameFormat.HexArgb), disabled.name(QColor.NameFormat.HexArgb))


def status_icon(kind: str) -> QIcon:
    """Icons with meaning in their colour: "ready" (accent), "error"/"warning" (palette-safe red/amber), others text."""
    if kind == "ready":
        return icon("ready", accent_color())
    if kind == "error":
        return icon("error", QColor("#d93025"))
    if kind == "warning":
        return icon("warning", QColor("#e37400"))
    return icon(kind)


def app_icon() -> QIcon:
    """The window icon: the packaged PNGs at every size (crisp on high-DPI), or a vector fallback."""
    try:
        from mlxstudio.core import resources

        ic = QIcon()
        for path in resources.icon_paths().values():
            ic.addFile(str(path))
        if not ic.isNull():
            return ic
    except (ImportError, FileNotFoundError, OSError, ValueError):
        pass
    return icon("app", accent_color())
