"""Fuse a LoRA/DoRA adapter into its base model (mlx-lm's fuse code path) and save a complete model folder.

:func:`~mlxstudio.core.inference.adapters.check_adapter_matches` first compares the adapter with the model (headers
only), so a mismatched adapter is refused with a clear message. :func:`fuse_adapter` then does what ``mlx_lm.fuse`` does
(load with the adapter, ``module.fuse()`` on every LoRA layer, optional dequantize, ``mlx_lm.utils.save``) into a
staging folder that replaces the target atomically.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, cast

from mlxstudio.core import errors, fsutil, paths
from mlxstudio.core import events as ev
from mlxstudio.core.events import CancelCheck, is_cancelled
from mlxstudio.core.i18n import _
from mlxstudio.core.inference.adapters import check_adapter_matches
from mlxstudio.core.inference.reasoning import trained_reasoning, write_trained_default
from mlxstudio.core.models.library import resolve_model_path, write_source
from mlxstudio.core.runtime.blas import preload_blas


# -- fuse ----------------------------------------------------------------------------------------------------------
def _library_target(name: str) -> Path:
    clean = name.strip()
    if not clean or clean in {".", ".."} or "/" in clean or "\\" in clean:
        raise errors.UserError(_("{name!r} is not a usable model name — use letters, digits, '-', '_' or '.'").format(
            name=name))
    return paths.models_dir() / clean


def fuse_adapter(model: str | Path, adapter_path: str | Path, save_path: str | Path | None = None,
                 dequantize: bool = False, sink: ev.Sink = ev.null_sink, name: str | None = None,
                 cancel: CancelCheck = None, overwrite: bool = True) -> Path:
    """Fuse ``adapter_path`` into ``model`` and save the result; returns the new model folder.

    The target is ``save_path``, or the library folder ``name`` (``paths.models_dir() / name``). It is written in a
    staging folder next to the target and moved into place only when complete. ``dequantize`` stores float weights
    (needed for GGUF export). The folder's ``mlxstudio.json`` records ``fused: <base> + <adapter>``.
    Emits :class:`~events.Progress` (job "fuse") per step; ``cancel`` is checked between steps.
    """
    preload_blas()  # the fast BLAS must be loaded before mlx is imported
    from mlx.utils import tree_unflatten
    from mlx_lm.utils import dequantize_model, load, save

    if save_path is None and not name:
        raise errors.UserError(_("give a folder to save the fused model to, or a name for the library"))
    target = Path(save_path).expanduser() if save_path is not None else _library_target(str(name))
    model_dir = resolve_model_path(model)
    adapter_dir = Path(adapter_path).expanduser()
    if target.resolve() in {model_dir.resolve(), adapter_dir.resolve()}:
        raise errors.UserError(_("{target}: choose another folder — it would overwrite the model or the adapter")
            .format(target=target))
    if target.exists() and not overwrite:
        raise errors.UserError(_("{target}: already exists — choose another name or delete it first").format(
            target=target))
    if target.exists() and not (target / "config.json").exists() and any(target.iterdir()):
        raise errors.UserError(_("{target}: exists and is not a model folder — choose an empty or new folder").format(
            target=target))
    steps = 5

    def step(i: int, message: str) -> None:
        if is_cancelled(cancel):
            raise errors.Cancelled(_("fuse stopped before {message}; nothing was written").format(message=message))
        sink(ev.Progress(job="fuse", done=i, total=steps, unit="step", message=message))

    tic = time.perf_counter()
    step(0, _("checking the adapter"))
    check_adapter_matches(model_dir, adapter_dir)
    step(1, _("loading the model and the adapter"))
    try:
        mlx_model, tokenizer, config = cast(tuple[Any, Any, dict[str, Any]],  # 3 items with return_config
                                            load(str(model_dir), adapter_path=str(adapter_dir), return_config=True))
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise errors.ModelError(_("cannot load {name} with adapter {name2}: {exc}").format(
            name=model_dir.name, name2=adapter_dir.name, exc=exc)) from exc
    step(2, _("fusing the adapter into the weights"))
    fused = [(n, m.fuse(dequantize=dequantize)) for n, m in mlx_model.named_modules() if hasattr(m, "fuse")]
    if fused:
        mlx_model.update_modules(tree_unflatten(fused))
    if dequantize:
        mlx_model = dequantize_model(mlx_model)
        config.pop("quantization", None)
        config.pop("quantization_config", None)
    step(3, _("saving the fused model"))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        save(staging, str(model_dir), mlx_model, tokenizer, config, donate_model=False)
        for extra in ("chat_template.jinja", "LICENSE", "LICENSE.txt"):
            if (model_dir / extra).is_file() and not (staging / extra).exists():
                shutil.copy2(model_dir / extra, staging / extra)
        reasoning = trained_reasoning(adapter_path=adapter_dir)  # the run's setting: the fused model keeps it
        write_trained_default(staging, reasoning)
        write_source(staging, f"fused: {model_dir.name} + {adapter_dir.name}", base_model=model_dir.name,
                      base_model_path=str(model_dir), adapter=str(adapter_dir), dequantized=bool(dequantize),
                      fused_layers=len(fused), reasoning=reasoning)
        step(4, _("moving into place"))
        fsutil.replace_dir(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    sink(ev.Progress(job="fuse", done=steps, total=steps, unit="step", message=_("done")))
    sink(ev.Log(_("fused {n} layers of {name} with {name2} → {target} "
                  "in {perf_counter:.1f} s").format(
                      n=len(fused), name=model_dir.name, name2=adapter_dir.name, target=target,
                      perf_counter=time.perf_counter() - tic)))
    return target


def fuse_job(params: dict[str, Any], sink: ev.Sink, cancel: Any) -> dict[str, Any]:
    """Worker job "fuse": ``{"model", "adapter_path", "save_path" | "name", "dequantize"}`` → ``{"path": str}``."""
    path = fuse_adapter(params["model"], params["adapter_path"], params.get("save_path"),
                        dequantize=bool(params.get("dequantize", False)), sink=sink, name=params.get("name"),
                        cancel=cancel)
    return {"path": str(path)}


def find_fused_models(adapter_path: str | Path, root: Path | None = None) -> list[Path]:
    """Library models fused from ``adapter_path`` (by their ``mlxstudio.json``), newest first."""
    target = str(Path(adapter_path).resolve())
    found: list[tuple[float, Path]] = []
    base = root or paths.models_dir()
    try:
        entries = list(base.iterdir())
    except OSError:
        return []
    for folder in entries:
        meta_file = folder / "mlxstudio.json"
        if folder.name.startswith(".") or not meta_file.is_file():
            continue
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            adapter = meta.get("adapter") if isinstance(meta, dict) else None
            if adapter and str(Path(adapter).resolve()) == target:
                found.append((meta_file.stat().st_mtime, folder))
        except (OSError, ValueError):
            continue
    return [p for _, p in sorted(found, reverse=True)]
