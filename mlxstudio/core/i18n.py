"""The language of the engine's and the command line's messages (English or Simplified Chinese), without Qt.

English is the source text. A message is wrapped where it is written, with its placeholders formatted *after*
translation, so the catalog sees the template::

    raise DataError(_("no {key!r} key — add one or delete the row").format(key="completion"))

The catalog is ``mlxstudio/resources/i18n/core/<code>.json`` (loaded through :mod:`importlib.resources`, so it works
from a wheel and the ``.app`` bundle): ``{"messages": {english: chinese}}``. A plural message (:func:`ngettext`) is
keyed by its singular; Chinese has one form. ``tests/test_i18n_core.py`` checks that every ``_("…")`` literal in the
package has an entry with the same placeholders.

The language follows ``MLXSTUDIO_LANG`` (set by :func:`set_language`, so worker processes inherit it), then the POSIX
locale variables, then macOS's preferred languages. The GUI uses Qt's own translations for its widgets and calls
:func:`set_language` with the Preferences choice so engine messages match.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from importlib import resources

LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
DEFAULT = "en"
ENV = "MLXSTUDIO_LANG"
_POSIX_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
_CATALOG_DIR = ("i18n", "core")
"""Where the catalogs are under ``mlxstudio/resources``: ``i18n/core/<code>.json``."""


def normalize(value: str | None) -> str | None:
    """``"zh_CN"`` for any Chinese locale name (``zh``, ``zh_CN.UTF-8``, ``zh-Hans-CN``), ``"en"`` for any other
    language, None for no choice (empty, ``system``)."""
    value = (value or "").strip()
    if not value or value.lower() == "system":
        return None
    if value.lower().replace("-", "_").startswith("zh"):
        return "zh_CN"
    return DEFAULT


def _posix_language() -> str | None:
    for var in _POSIX_VARS:
        value = os.environ.get(var, "")
        if not value:
            continue
        first = value.split(":")[0] if var == "LANGUAGE" else value
        if first.split(".")[0] in ("C", "POSIX"):
            return DEFAULT
        return normalize(first)
    return None


@cache
def _macos_language() -> str | None:
    """The first of macOS's preferred languages (System Settings → Language & Region), or None elsewhere."""
    if sys.platform != "darwin":
        return None
    try:
        out = subprocess.run(["defaults", "read", "-g", "AppleLanguages"], capture_output=True, text=True,
                             timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in out.splitlines():  # a plist array: ( "zh-Hans-CN", "en-CN" )
        item = line.strip().strip('(),"')
        if item:
            return normalize(item)
    return None


def system_language() -> str:
    """``"zh_CN"`` or ``"en"``: from ``MLXSTUDIO_LANG``, then ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``, then
    (macOS) the preferred languages; English when none says."""
    return normalize(os.environ.get(ENV)) or _posix_language() or _macos_language() or DEFAULT


def set_language(code: str | None) -> None:
    """Use ``code`` (``"en"``, ``"zh_CN"``; None or ``"system"`` follows the system) from now on, in this process and
    in the worker processes it starts (through ``MLXSTUDIO_LANG``)."""
    chosen = normalize(code)
    if chosen is None:
        os.environ.pop(ENV, None)
        chosen = system_language()
    os.environ[ENV] = chosen


def current_language() -> str:
    """The language messages are shown in now."""
    return system_language()


@cache
def catalog(code: str) -> dict[str, str]:
    """The translations of language ``code`` (English → that language); empty for English or a missing catalog."""
    if code == DEFAULT:
        return {}
    node = resources.files("mlxstudio.resources").joinpath(*_CATALOG_DIR, f"{code}.json")
    if not node.is_file():
        return {}
    data = json.loads(node.read_text(encoding="utf-8"))
    return {k: v for k, v in data.get("messages", {}).items() if v}


def _(message: str) -> str:
    """``message`` (English, placeholders unformatted) in the current language; itself when there is no entry."""
    code = current_language()
    if code == DEFAULT:
        return message
    return catalog(code).get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for count ``n`` in the current language (format ``{n}`` after)."""
    code = current_language()
    if code != DEFAULT:
        found = catalog(code).get(singular)
        if found:
            return found
    return singular if n == 1 else plural


def gettext(message: str) -> str:
    """:func:`_` under its standard name (for argparse's and other hooks)."""
    return _(message)


def N_(message: str) -> str:
    """gettext's no-op marker: ``message`` goes into the catalog but is translated later, by :func:`_` on use."""
    return message
