"""Hand a tuned model to the apps people chat with: LM Studio (its models folder) and Ollama (``ollama create``).

- **LM Studio** finds models in ``~/.lmstudio/models/<publisher>/<name>/`` (older versions: ``~/.cache/lm-studio/
  models``; a moved home is named in ``~/.lmstudio-home-pointer``). :func:`place_in_lmstudio` links (or copies) an MLX
  model folder — LM Studio runs MLX models on Apple silicon — or a GGUF file there.
- **Ollama**: :func:`create_in_ollama` runs ``ollama create NAME -f Modelfile`` with the Modelfile that the GGUF export
  writes (:func:`mlxstudio.core.inference.export.export_ollama`) and reports its output line by line.

Both say clearly when the app is not installed (:class:`AppMissing`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from mlxstudio.core import errors
from mlxstudio.core import events as ev
from mlxstudio.core.i18n import _

PUBLISHER = "mlxstudio"
"""The publisher folder MLX Studio's models go into in LM Studio's library."""
LMSTUDIO_URL = "https://lmstudio.ai"
OLLAMA_URL = "https://ollama.com/download"
OLLAMA_APP_PATHS = ("/Applications/Ollama.app/Contents/Resources/ollama", "/usr/local/bin/ollama",
                    "/opt/homebrew/bin/ollama")
"""Where Ollama's command lives when the app is installed but not on PATH (a macOS app's PATH is minimal)."""


class AppMissing(errors.UserError):
    """The app to hand the model to is not installed; the message says where to get it."""


# -- LM Studio ---------------------------------------------------------------------------------------------------
def lmstudio_home(home: Path | None = None) -> Path | None:
    """LM Studio's home folder (``~/.lmstudio``, the one ``~/.lmstudio-home-pointer`` names, or the legacy
    ``~/.cache/lm-studio``), or None when LM Studio was never started on this account."""
    home = home or Path.home()
    pointer = home / ".lmstudio-home-pointer"
    if pointer.is_file():
        target = Path(pointer.read_text(encoding="utf-8").strip()).expanduser()
        if target.is_dir():
            return target
    for candidate in (home / ".lmstudio", home / ".cache" / "lm-studio"):
        if candidate.is_dir():
            return candidate
    return None


def lmstudio_models_dir(home: Path | None = None) -> Path:
    """The folder LM Studio scans for models; raises :class:`AppMissing` when LM Studio is not installed."""
    root = lmstudio_home(home)
    if root is None:
        raise AppMissing(_("LM Studio is not installed (no ~/.lmstudio folder). Get it from {LMSTUDIO_URL}, start it "
                           "once, then try again.").format(LMSTUDIO_URL=LMSTUDIO_URL))
    return root / "models"


def _safe_name(text: str) -> str:
    name = re.sub(r"[^\w.\-]+", "-", text.strip()).strip("-.")
    return name or "model"


def place_in_lmstudio(source: str | Path, name: str | None = None, *, copy: bool = False,
                      home: Path | None = None, publisher: str = PUBLISHER) -> Path:
    """Put ``source`` (an MLX model folder, a ``.gguf`` file, or a folder with one) into LM Studio's library as
    ``<models>/<publisher>/<name>/``; returns that folder.

    Files are symbolic links to the originals (no second copy of the weights) unless ``copy``; where links cannot
    be made (some file systems) they are copied. Placing the same model again replaces the earlier entry."""
    src = Path(source).expanduser().resolve()
    files: list[Path]
    if src.is_file() and src.suffix.lower() == ".gguf":
        files = [src]
        default_name = src.stem
    elif src.is_dir() and (src / "config.json").is_file():
        files = [p for p in sorted(src.iterdir()) if p.is_file() and not p.name.startswith(".")]
        default_name = src.name
    elif src.is_dir() and (ggufs := sorted(src.glob("*.gguf"))):
        files = ggufs[:1]
        default_name = ggufs[0].stem
    else:
        raise errors.UserError(_("{name} is neither an MLX model folder (config.json) nor a GGUF file.").format(
            name=src.name))
    models = lmstudio_models_dir(home)
    target = models / _safe_name(publisher) / _safe_name(name or default_name)
    if target.exists() or target.is_symlink():
        if target.is_symlink() or target.is_file():
            target.unlink()
        else:
            shutil.rmtree(target)
    target.mkdir(parents=True)
    for f in files:
        dst = target / f.name
        if copy:
            shutil.copy2(f, dst)
            continue
        try:
            os.symlink(f, dst)
        except OSError:
            shutil.copy2(f, dst)
    return target


# -- Ollama ------------------------------------------------------------------------------------------------------
def find_ollama() -> str | None:
    """The ``ollama`` command: on PATH, or inside the installed macOS app; None when Ollama is not installed."""
    found = shutil.which("ollama")
    if found:
        return found
    if sys.platform == "darwin":
        for p in OLLAMA_APP_PATHS:
            if os.access(p, os.X_OK):
                return p
    return None


def ollama_name(text: str) -> str:
    """A valid Ollama model name from ``text`` (lowercase letters, digits, ``.``, ``_``, ``-``)."""
    name = re.sub(r"[^a-z0-9._-]+", "-", text.strip().lower()).strip("-._")
    return name or "mlxstudio-model"


def create_in_ollama(modelfile: str | Path, name: str, sink: ev.Sink = ev.null_sink,
                     cancel: Callable[[], bool] | None = None, ollama: str | None = None) -> dict[str, str]:
    """Run ``ollama create NAME -f Modelfile`` in the Modelfile's folder; each output line goes to ``sink`` as a
    ``Log`` event. Returns ``{"name", "output", "run"}``; raises :class:`AppMissing` without Ollama, ``UserError``
    with Ollama's own words when it fails (e.g. the Ollama app is not running), ``Cancelled`` on ``cancel``."""
    exe = ollama or find_ollama()
    if exe is None:
        raise AppMissing(_("Ollama is not installed (no `ollama` command found). Get it from {OLLAMA_URL}, start it, "
                           "then try again.").format(OLLAMA_URL=OLLAMA_URL))
    mf = Path(modelfile)
    if not mf.is_file():
        raise errors.UserError(_("No Modelfile at {mf} — export the GGUF + Modelfile first.").format(mf=mf))
    model = ollama_name(name)
    proc = subprocess.Popen([exe, "create", model, "-f", mf.name], cwd=mf.parent, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, encoding="utf-8",
                            errors="replace")
    lines: list[str] = []
    assert proc.stdout is not None
    for raw in proc.stdout:
        line = raw.rstrip("\r\n").split("\r")[-1]  # progress redraws: the last state of the line
        if line.strip():
            lines.append(line)
            sink(ev.Log(message=line, level="info"))
        if cancel is not None and cancel():
            proc.kill()
            proc.wait(10)
            raise errors.Cancelled(_("ollama create stopped"))
    code = proc.wait()
    output = "\n".join(lines)
    if code != 0:
        tail = "\n".join(lines[-6:]) or f"exit code {code}"
        hint = _(" Is the Ollama app running?") if "connect" in output.lower() else ""
        raise errors.UserError(_("ollama create failed:{hint}\n{tail}").format(hint=hint, tail=tail))
    return {"name": model, "output": output, "run": f"ollama run {model}"}
