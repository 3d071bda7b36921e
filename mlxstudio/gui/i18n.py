"""The window's language: Qt translators for MLX Studio's own strings and for Qt's standard dialogs and buttons.

Every visible string in :mod:`mlxstudio.gui` goes through ``self.tr("…")`` (a QObject's class is its context) or
:func:`translate` (``translate("context", "…")`` in plain functions). The source of the Chinese translation is
``mlxstudio/resources/i18n/mlxstudio_zh_CN.ts`` (refreshed with ``pyside6-lupdate``, see ``tests/test_i18n_gui.py``);
the compiled ``.qm`` next to it is built by ``make setup`` and by ``setup_app.py`` (``pyside6-lrelease``), and at the
first start when it is missing (from a fresh clone) into the cache folder. Qt's own ``qtbase_zh_CN.qm`` ships in
PySide6's ``Qt/translations``.

The language is the Preferences choice (``app/language``: ``system``, ``en``, ``zh_CN``), else the system's
(:func:`mlxstudio.core.i18n.system_language`). :func:`install` also sets the engine's language
(:func:`mlxstudio.core.i18n.set_language`), so engine messages and the worker processes follow. A change in
Preferences applies the next time MLX Studio starts (strings are set when the widgets are built).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from mlxstudio.core import i18n as core_i18n
from mlxstudio.core import logs, paths

__all__ = ["QT_TRANSLATE_NOOP", "install", "translate", "translate_filter"]
CHOICES = ("system", *core_i18n.LANGUAGES)
"""What Preferences offers: follow the system, or one of the languages."""
TS_NAME = "mlxstudio_{code}.ts"
QM_NAME = "mlxstudio_{code}.qm"

_installed: list[QTranslator] = []
_ENV_AT_START = os.environ.get(core_i18n.ENV)
"""``MLXSTUDIO_LANG`` as the app was started with (it counts as the system's choice; :func:`install` sets it)."""


def resource_dir() -> Path:
    """``mlxstudio/resources/i18n`` (a real folder, also in the ``.app``: the package is copied unzipped)."""
    return Path(str(resources.files("mlxstudio.resources").joinpath("i18n")))


def lrelease_command() -> list[str] | None:
    """How to run Qt's ``lrelease`` here: the venv's ``pyside6-lrelease``, else the PySide6 wheel's binary."""
    beside = Path(sys.executable).with_name("pyside6-lrelease")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("pyside6-lrelease")
    if found:
        return [found]
    try:
        import PySide6
    except ImportError:  # pragma: no cover - the window needs PySide6 anyway
        return None
    for name in ("lrelease", "lrelease.exe", "Qt/libexec/lrelease"):
        binary = Path(PySide6.__file__).with_name(name)
        if binary.is_file():
            return [str(binary)]
    return None


def compile_ts(ts: Path, qm: Path) -> bool:
    """Build ``qm`` from ``ts`` with lrelease; False (and a log line) when that is not possible."""
    cmd = lrelease_command()
    if cmd is None:
        logs.get_logger("mlxstudio.gui").warning("no lrelease: %s is not compiled", ts)
        return False
    qm.parent.mkdir(parents=True, exist_ok=True)
    tmp = qm.with_name(qm.name + ".part")
    try:
        subprocess.run([*cmd, "-silent", str(ts), "-qm", str(tmp)], check=True, capture_output=True, timeout=60)
        os.replace(tmp, qm)  # atomic: a half-written .qm is never loaded
    except (OSError, subprocess.SubprocessError) as exc:
        logs.get_logger("mlxstudio.gui").warning("lrelease %s failed: %s", ts, exc)
        tmp.unlink(missing_ok=True)
        return False
    return True


def qm_path(code: str) -> Path | None:
    """The compiled translation of language ``code``: the one shipped next to the ``.ts`` when it is up to date, else
    one built now into the cache folder (a fresh clone before ``make setup``). None when there is none."""
    ts = resource_dir() / TS_NAME.format(code=code)
    shipped = ts.with_name(QM_NAME.format(code=code))
    if shipped.is_file() and (not ts.is_file() or shipped.stat().st_mtime >= ts.stat().st_mtime):
        return shipped
    if not ts.is_file():
        return shipped if shipped.is_file() else None
    built = paths.home() / "cache" / "i18n" / shipped.name
    if built.is_file() and built.stat().st_mtime >= ts.stat().st_mtime:
        return built
    if compile_ts(ts, built):
        return built
    return shipped if shipped.is_file() else None


def system_language() -> str:
    """The system's language (``en`` or ``zh_CN``), ignoring the Preferences choice."""
    saved = os.environ.pop(core_i18n.ENV, None)  # now: what install() set from the choice
    if _ENV_AT_START is not None:
        os.environ[core_i18n.ENV] = _ENV_AT_START
    try:
        return core_i18n.system_language()
    finally:
        os.environ.pop(core_i18n.ENV, None)
        if saved is not None:
            os.environ[core_i18n.ENV] = saved


def chosen_language() -> str:
    """The Preferences choice (``system``, ``en`` or ``zh_CN``)."""
    from mlxstudio.gui import settings

    value = settings.LANGUAGE.get()
    return value if value in CHOICES else "system"


def install(app: QCoreApplication, choice: str | None = None) -> str:
    """Translate the window into ``choice`` (default: the Preferences choice; ``system`` follows the system) and set
    the engine's language to match. Returns the language now in use (``en`` or ``zh_CN``)."""
    choice = chosen_language() if choice is None else choice
    core_i18n.set_language(system_language() if choice == "system" else choice)
    code = core_i18n.current_language()
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    if code == core_i18n.DEFAULT:
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))
        return code
    QLocale.setDefault(QLocale(code))
    own = qm_path(code)
    qt_dir = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    for path in (own, Path(qt_dir) / f"qtbase_{code}.qm"):
        translator = QTranslator(app)
        if path is not None and translator.load(str(path)):
            app.installTranslator(translator)
            _installed.append(translator)
        else:
            logs.get_logger("mlxstudio.gui").warning("no translation %s for %s", path, code)
    return code


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # the name pyside6-lupdate looks for
    """Mark ``text`` for the catalog (context ``context``) where it is defined; :func:`translate` it where shown."""
    return text


FILTER_NAMES = (QT_TRANSLATE_NOOP("file_filters", "Datasets"), QT_TRANSLATE_NOOP("file_filters", "All files"),
                QT_TRANSLATE_NOOP("file_filters", "GGUF models"), QT_TRANSLATE_NOOP("file_filters", "JSON Lines"))
"""The names in the file dialogs' filters (``"Datasets (*.jsonl *.csv);;All files (*)"``)."""


def translate_filter(name_filter: str) -> str:
    """A file dialog's filter with its names (not the patterns) in the window's language."""
    parts = []
    for part in name_filter.split(";;"):
        name, sep, patterns = part.partition(" (")
        parts.append(translate("file_filters", name) + sep + patterns)
    return ";;".join(parts)


def translate(context: str, text: str, disambiguation: str | None = None, n: int = -1) -> str:
    """``text`` in the window's language, for code outside a QObject (``pyside6-lupdate`` finds these calls)."""
    return QCoreApplication.translate(context, text, disambiguation, n)
