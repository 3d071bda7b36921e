"""``mlxstudio-cli models add PATH`` (a model folder or .gguf file someone already has) and ``models found`` (the
models already on this computer: the Hugging Face / ModelScope caches, LM Studio, Ollama)."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from mlxstudio.commands.output import Output
from mlxstudio.core.i18n import _


def register(msub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``models add`` and ``models found`` to the ``models`` subcommands."""
    a = msub.add_parser(
        "add", parents=[common], help=_("add a model folder (or a .gguf file) you already have to the library"),
        description=_("Add a Hugging Face / ModelScope checkpoint folder (e.g. what `modelscope download --local_dir "
                      "DIR` wrote, or a cache snapshot) or a .gguf file to the library. Safetensors checkpoints are "
                      "used as they are (linked by default: no second copy; --copy copies); a GGUF is imported. "
                      "The name comes from the checkpoint's config or repository, never from a cache's mangled "
                      "folder name."))
    a.add_argument("path", metavar="PATH", type=Path, help=_("the model folder or .gguf file"))
    a.add_argument("--name", default=None, help=_("library name (default: from the model's config / repository)"))
    how = a.add_mutually_exclusive_group()
    how.add_argument("--link", dest="mode", action="store_const", const="link",
                     help=_("link to the folder's files (default): no second copy, keep the folder where it is"))
    how.add_argument("--copy", dest="mode", action="store_const", const="copy",
                     help=_("copy the files into the library (the original folder may then be deleted)"))
    a.add_argument("--quantize", type=int, default=None, choices=(4, 8), metavar="BITS",
                   help=_("convert to a 4- or 8-bit MLX model with mlx_lm.convert instead of linking/copying"))
    a.set_defaults(func=cmd_add, mode="link")
    f = msub.add_parser("found", parents=[common], help=_("models already on this computer (Hugging Face / "
                                                          "ModelScope caches, LM Studio, Ollama)"),
                        description=_("List the models in the Hugging Face cache, the ModelScope cache, LM Studio's "
                                      "models folder and Ollama's store; add one with `models add PATH`."))
    f.set_defaults(func=cmd_found)


def cmd_add(args: argparse.Namespace, out: Output) -> int:
    """Add the folder; stdout = the library folder."""
    from mlxstudio.commands.download_cmd import _ctrl_c_cancels
    from mlxstudio.core.models import add_model_folder

    cancel = threading.Event()
    with _ctrl_c_cancels(cancel):
        path = add_model_folder(args.path, name=args.name, mode=args.mode, quantize=args.quantize, sink=out.sink,
                                cancel=cancel)
    out.result(str(path), data={"path": str(path), "name": path.name})
    return 0


def cmd_found(args: argparse.Namespace, out: Output) -> int:
    """One line per model found (or JSON with --json)."""
    from mlxstudio.commands.models_cmd import human_size
    from mlxstudio.core.models import discover_models

    found = discover_models()
    if getattr(args, "json", False):
        out.result(data=[f.to_dict() for f in found])
        return 0
    if not found:
        out.info(_("no models found in the Hugging Face or ModelScope caches, LM Studio or Ollama."))
        return 0
    for f in found:
        state = _(" (in the library)") if f.in_library else (f" — {f.problem}" if f.problem else "")
        out.result(f"{f.store_label:20}  {f.name}  {f.type}  {human_size(f.size_bytes)}{state}\n"
                   f"{'':20}  {f.path}")
    return 0
