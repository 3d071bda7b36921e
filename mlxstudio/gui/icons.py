"""Vector icons (qtawesome) that follow the palette and stay sharp on high-DPI screens.

Use :func:`icon` with one of the names in :data:`NAMES` (semantic names, so a page says ``icon("delete")`` and the
icon set can change in one place). Colours come from the application palette, so icons stay visible in dark mode:
an icon made without an explicit colour reads the palette each time it is drawn, so a button's icon follows a
dark/light switch without the page doing anything (a pixmap taken from it, e.g. for a QLabel, does not).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QIconEngine, QPainter, QPalette, QPixmap
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
    "add-folder": "mdi6.folder-plus-outline",
    "add": "mdi6.plus",
    "found": "mdi6.magnify",
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
def _icon(qta_name: str, color: str, disabled: str, selected: str = "") -> QIcon:
    import qtawesome as qta

    options = {"color": color, "color_disabled": disabled}
    if selected:
        options["color_selected"] = selected
    try:
        return qta.icon(qta_name, **options)
    except Exception:  # an icon font without this glyph: an empty icon is better than a crash
        return QIcon()


def release() -> None:
    """Drop every cached icon now (ours and qtawesome's), on the GUI thread while the application still exists.

    A cached qtawesome icon and its font object form a reference cycle through the icon's Python engine; left to the
    interpreter's last collection, the parts are freed in an arbitrary order and ``~QIcon`` can then delete an engine
    that is gone already (a segmentation fault after the window closed, about one quit in five). ``gui.app.main``
    calls this after the event loop ended."""
    _icon.cache_clear()
    import qtawesome as qta

    qta.reset_cache()


def _hex(color: QColor) -> str:
    return color.name(QColor.NameFormat.HexArgb)


def _fixed(qta_name: str, color: QColor) -> QIcon:
    return _icon(qta_name, _hex(color), _hex(_palette_color(QPalette.ColorRole.PlaceholderText)))


class _PaletteIconEngine(QIconEngine):
    """Draws a qtawesome icon in the palette's colours of the moment: ``role``'s colour (the text colour unless
    told), the placeholder colour when disabled, the highlighted-text colour on a selected row."""

    def __init__(self, qta_name: str, role: QPalette.ColorRole = QPalette.ColorRole.WindowText) -> None:
        super().__init__()
        self.qta_name = qta_name
        self.role = role

    def _now(self) -> QIcon:
        return _icon(self.qta_name, _hex(_palette_color(self.role)),
                     _hex(_palette_color(QPalette.ColorRole.PlaceholderText)),
                     _hex(_palette_color(QPalette.ColorRole.HighlightedText)))

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        self._now().paint(painter, rect, Qt.AlignmentFlag.AlignCenter, mode, state)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self._now().pixmap(size, mode, state)

    def clone(self) -> QIconEngine:
        return _PaletteIconEngine(self.qta_name, self.role)


def _palette_icon(qta_name: str, role: QPalette.ColorRole = QPalette.ColorRole.WindowText) -> QIcon:
    if _fixed(qta_name, text_color()).isNull():
        return QIcon()
    return QIcon(_PaletteIconEngine(qta_name, role))


def icon(name: str, color: QColor | None = None) -> QIcon:
    """The icon for a semantic ``name`` (see :data:`NAMES`) or a raw qtawesome name, in the palette's colours.

    Without ``color`` the icon follows palette changes (dark/light) by itself; with one it keeps that colour."""
    qta_name = NAMES.get(name, name)
    if color is not None:
        return _fixed(qta_name, color)
    return _palette_icon(qta_name)


def status_icon(kind: str) -> QIcon:
    """Icons with meaning in their colour: "ready" (accent), "error"/"warning" (palette-safe red/amber), others text."""
    if kind == "ready":  # the accent colour of the moment; the highlighted-text colour on a selected (accent) row
        return _palette_icon(NAMES["ready"], QPalette.ColorRole.Highlight)
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
