"""Tell the person a long job ended while they were in another app: a desktop notification and a badge on the app
icon (Dock on macOS, taskbar elsewhere where Qt supports it), never while the window is in front.

Channels, first that works: ``QSystemTrayIcon.showMessage`` (Notification Center on macOS, the desktop's
notification service elsewhere) when a system tray exists; on macOS without it, ``osascript -e 'display
notification …'``; otherwise nothing. ``QGuiApplication.setBadgeNumber`` counts the unseen outcomes and is cleared when
the app comes to the front. Preferences → Notifications turns all of it off (``app/notifications``).

Qt objects here are created and used on the GUI thread only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from mlxstudio.gui import icons, settings


@dataclass(frozen=True)
class Sent:
    """What :meth:`Notifier.notify` did: ``channel`` is "tray", "osascript", "off" (setting), "foreground"
    (the window is in front), or "none" (no channel on this platform)."""

    channel: str
    title: str
    body: str


def app_in_front() -> bool:
    """Whether MLX Studio is the active application (its window has the focus)."""
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.applicationState() == Qt.ApplicationState.ApplicationActive \
        and QApplication.activeWindow() is not None


def _applescript_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def osascript_command(title: str, body: str) -> list[str]:
    """The macOS command that posts ``body`` to Notification Center."""
    return ["osascript", "-e", f"display notification {_applescript_text(body)} with title "
                               f"{_applescript_text(title)}"]


class Notifier(QObject):
    """The app's one notifier (see :func:`notifier`). ``history`` keeps what was sent (for tests and the log)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray: QSystemTrayIcon | None = None
        self.unseen = 0
        self.history: list[Sent] = []
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._state_changed)

    def channel(self) -> str:
        """The channel a notification would use on this platform now."""
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            return "tray"
        if sys.platform == "darwin" and shutil.which("osascript"):
            return "osascript"
        return "none"

    def notify(self, title: str, body: str, failed: bool = False) -> Sent:
        """Show a notification unless it is turned off or the window is in front; count it on the badge."""
        if not settings.NOTIFICATIONS.get():
            sent = Sent("off", title, body)
        elif app_in_front():
            sent = Sent("foreground", title, body)
        else:
            sent = Sent(self.channel(), title, body)
            self._deliver(sent, failed)
            self.set_badge(self.unseen + 1)
        self.history.append(sent)
        return sent

    def _deliver(self, sent: Sent, failed: bool) -> None:
        if sent.channel == "tray":
            if self.tray is None:
                self.tray = QSystemTrayIcon(icons.app_icon(), self)
                self.tray.setToolTip(self.tr("MLX Studio"))
                self.tray.messageClicked.connect(_raise_window)
            self.tray.show()
            kind = QSystemTrayIcon.MessageIcon.Warning if failed else QSystemTrayIcon.MessageIcon.Information
            self.tray.showMessage(sent.title, sent.body, kind, 10_000)
        elif sent.channel == "osascript":
            subprocess.Popen(osascript_command(sent.title, sent.body), stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def set_badge(self, count: int) -> None:
        """The number on the app icon (0 clears it); where the platform has no badge, Qt ignores it."""
        self.unseen = max(0, count)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.setBadgeNumber(self.unseen)

    def _state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive and self.unseen:
            self.set_badge(0)
            if self.tray is not None:
                self.tray.hide()


def _raise_window() -> None:
    for w in QApplication.topLevelWidgets():
        if w.objectName() == "main-window" and w.isVisible():
            w.raise_()
            w.activateWindow()


_notifier: Notifier | None = None


def notifier() -> Notifier:
    """The app's notifier, made on first use (on the GUI thread, owned by the application)."""
    global _notifier
    if _notifier is None:
        _notifier = Notifier(QGuiApplication.instance())
        _notifier.destroyed.connect(_forget)
    return _notifier


def _forget() -> None:
    global _notifier
    _notifier = None
