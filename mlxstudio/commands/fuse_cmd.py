"""``mlxstudio-cli fuse``: fuse a LoRA adapter into its base model and save a complete model folder."""

from __future__ import annotations

import argparse

from mlxstudio.commands.output import Output
from mlxstudio.core.i18n import _


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``fuse`` subcommand."""
    p = sub.add_parser("fuse", parents=[common], help=_("fuse an adapter into its base model"),
                       description=_("Fuse a LoRA/DoRA adapter into the base model (mlx-lm's fuse) and save the "
                                     "result. A mismatched adapter is refused before any work."))
    p.add_argument("--model", required=True, help=_("library model name or model folder"))
    p.add_argument("--adapter-path", required=True,
                   help=_("adapter folder (adapters.safetensors + adapter_config.json)"))
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--save-path", default=None, help=_("folder to write the fused model to"))
    target.add_argument("--name", default=None, help=_("save into the model library under this name"))
    p.add_argument("--dequantize", action="store_true", help=_("store float weights (needed for GGUF export)"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Output) -> int:
    """Fuse and print the new model folder on stdout."""
    from mlxstudio.core.inference import fuse_adapter

    path = fuse_adapter(args.model, args.adapter_path, args.save_path, dequantize=args.dequantize, sink=out.sink,
                        name=args.name)
    out.result(str(path), data={"path": str(path)})
    return 0
