"""Preferences… (Cmd+,): language, Hugging Face token, hub endpoints, default hub, notifications; the library folder
is shown.

Values live in the shared settings store (:mod:`mlxstudio.gui.settings`): ``hub/hf_token``, ``hub/default``,
``hub/modelscope_endpoint``, ``hub/huggingface_endpoint`` — the download panel reads the same keys — and
``app/notifications`` (:mod:`mlxstudio.gui.notify`) and ``app/language`` (:mod:`mlxstudio.gui.i18n`: System,
English, 简体中文 — it applies the next time MLX Studio starts, since the widgets' texts are set when they are built).
The token is never logged; the settings file is made readable by its owner only.
"""

from __future__ import annotations

from urllib.parse import urlparse

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlxstudio.core import paths
from mlxstudio.core.i18n import LANGUAGES
from mlxstudio.gui import i18n, icons, settings
from mlxstudio.gui.i18n import translate

HUBS = [("modelscope", "ModelScope"), ("huggingface", "Hugging Face")]


def check_endpoint(text: str) -> str | None:
    """None when ``text`` is empty (the public hub) or an http(s) URL; otherwise what is wrong."""
    text = text.strip()
    if not text:
        return None
    url = urlparse(text)
    if url.scheme not in ("http", "https") or not url.netloc:
        return translate("preferences", "“{text}” is not a web address — use e.g. https://hub.example.com, or "
                   "leave it empty.").format(text=text)
    return None


class PreferencesDialog(QDialog):
    """The Preferences dialog. OK stores the values; Cancel keeps the old ones."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("preferences-dialog")
        self.setWindowTitle(self.tr("Preferences"))
        s = settings.qsettings()

        lang_box = QGroupBox(self.tr("Language"))
        lang_form = QFormLayout(lang_box)
        self.language = QComboBox()
        self.language.setObjectName("preferences-language")
        self.language.addItem(self.tr("System ({name})").format(name=LANGUAGES[i18n.system_language()]), "system")
        for code, name in LANGUAGES.items():
            self.language.addItem(name, code)  # each language in its own words
        self.language.setCurrentIndex(max(0, self.language.findData(i18n.chosen_language())))
        lang_form.addRow(self.tr("Language:"), self.language)
        self.language_note = QLabel(self.tr("A new language applies the next time MLX Studio starts."))
        self.language_note.setWordWrap(True)
        self.language_note.setEnabled(False)
        lang_form.addRow(self.language_note)

        hub_box = QGroupBox(self.tr("Model hubs"))
        form = QFormLayout(hub_box)
        self.default_hub = QComboBox()
        for key, label in HUBS:
            self.default_hub.addItem(label, key)
        i = self.default_hub.findData(settings.DEFAULT_HUB.get(s))
        self.default_hub.setCurrentIndex(max(0, i))
        form.addRow(self.tr("Default hub:"), self.default_hub)

        self.token = QLineEdit(settings.HF_TOKEN.get(s))
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(self.tr("hf_… (only for gated or private models)"))
        self.token.setToolTip(
            self.tr("A Hugging Face access token. Stored in the app's settings file, readable only by "
                              "you; never printed or logged."))
        show = self.token.addAction(icons.icon("mdi6.eye-outline"), QLineEdit.ActionPosition.TrailingPosition)
        show.setToolTip(self.tr("Show or hide the token"))
        show.triggered.connect(self._toggle_token)
        form.addRow(self.tr("Hugging Face token:"), self.token)

        self.ms_endpoint = QLineEdit(settings.MODELSCOPE_ENDPOINT.get(s))
        self.ms_endpoint.setPlaceholderText(self.tr("{url} (default)").format(url="https://www.modelscope.cn"))
        form.addRow(self.tr("ModelScope endpoint:"), self.ms_endpoint)
        self.hf_endpoint = QLineEdit(settings.HUGGINGFACE_ENDPOINT.get(s))
        self.hf_endpoint.setPlaceholderText(self.tr("{url} (default)").format(url="https://huggingface.co"))
        form.addRow(self.tr("Hugging Face endpoint:"), self.hf_endpoint)
        hint = QLabel(self.tr("Leave the endpoints empty to use the public hubs. A mirror (e.g. https://hf-mirror.com) "
                      "or a company hub goes here."))
        hint.setWordWrap(True)
        hint.setEnabled(False)
        form.addRow(hint)

        lib_box = QGroupBox(self.tr("Files"))
        lib_form = QFormLayout(lib_box)
        self.library = QLineEdit(str(paths.models_dir()))
        self.library.setReadOnly(True)
        reveal = QPushButton(icons.icon("reveal"), self.tr("Show"))
        reveal.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.models_dir()))))
        row = QHBoxLayout()
        row.addWidget(self.library, 1)
        row.addWidget(reveal)
        lib_form.addRow(self.tr("Model library:"), row)
        note = QLabel(self.tr("Set the MLXSTUDIO_HOME environment variable to keep models, runs and logs elsewhere."))
        note.setWordWrap(True)
        note.setEnabled(False)
        lib_form.addRow(note)

        notify_box = QGroupBox(self.tr("Notifications"))
        notify_lay = QVBoxLayout(notify_box)
        self.notifications = QCheckBox(self.tr("Notify me when a long job ends while MLX Studio is in the background"))
        self.notifications.setChecked(settings.NOTIFICATIONS.get(s))
        self.notifications.setToolTip(
            self.tr("A desktop notification (Notification Center on macOS) and a badge on the "
                                      "app icon"))
        notify_note = QLabel(
            self.tr("Training, downloads, fusing and evaluations. The computer stays awake while they run."))
        notify_note.setWordWrap(True)
        notify_note.setEnabled(False)
        notify_lay.addWidget(self.notifications)
        notify_lay.addWidget(notify_note)

        self.error = QLabel()
        self.error.setObjectName("preferences-error")
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(lang_box)
        lay.addWidget(hub_box)
        lay.addWidget(lib_box)
        lay.addWidget(notify_box)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.setMinimumWidth(560)

    def _toggle_token(self) -> None:
        hidden = self.token.echoMode() == QLineEdit.EchoMode.Password
        self.token.setEchoMode(QLineEdit.EchoMode.Normal if hidden else QLineEdit.EchoMode.Password)

    def problems(self) -> list[str]:
        """What is wrong with the entered values (empty: all fine)."""
        return [p for p in (check_endpoint(self.ms_endpoint.text()), check_endpoint(self.hf_endpoint.text())) if p]

    def store(self) -> None:
        """Write the values to the settings file."""
        s = settings.qsettings()
        settings.DEFAULT_HUB.set(str(self.default_hub.currentData()), s)
        settings.HF_TOKEN.set(self.token.text().strip(), s)
        settings.MODELSCOPE_ENDPOINT.set(self.ms_endpoint.text().strip().rstrip("/"), s)
        settings.HUGGINGFACE_ENDPOINT.set(self.hf_endpoint.text().strip().rstrip("/"), s)
        settings.NOTIFICATIONS.set(self.notifications.isChecked(), s)
        settings.LANGUAGE.set(str(self.language.currentData()), s)
        s.sync()
        settings.protect_settings_file()

    def accept(self) -> None:
        problems = self.problems()
        if problems:
            self.error.setText("⚠ " + "\n".join(problems))
            self.error.setVisible(True)
            return
        self.store()
        super().accept()
