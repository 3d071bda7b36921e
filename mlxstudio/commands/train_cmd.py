"""``mlxstudio-cli train``: train a LoRA/DoRA adapter (same engine as the app's Train page).

Flags are generated from :class:`~mlxstudio.core.training.config.TrainConfig` (names follow ``mlx_lm.lora``:
``--iters --batch-size --learning-rate --num-layers --rank --fine-tune-type --mask-prompt/--no-mask-prompt`` …).
``--config`` reads an mlx_lm-style YAML file (its ``model``/``data``/``adapter_path`` keys are used too); flags given
on the command line override the file. Ctrl+C stops after the current step and keeps the adapter (resume with
``--resume``); a second Ctrl+C aborts.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import threading
from pathlib import Path
from typing import Any

from mlxstudio.commands.output import Output
from mlxstudio.core import events as ev
from mlxstudio.core.errors import UserError
from mlxstudio.core.training.config import TrainConfig, config_fields, load_yaml


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field (default None = not given, so YAML and defaults apply)."""
    basic = parser.add_argument_group("training settings")
    advanced = parser.add_argument_group("advanced training settings")
    for f in config_fields():
        meta = f.metadata
        if meta.get("group") == "hidden":
            continue
        group = basic if meta.get("group") == "basic" else advanced
        default = f.default
        help_text = f"{meta['help']} (default: {default})".replace("%", "%%")
        kwargs: dict[str, Any] = {"dest": f.name, "default": None, "help": help_text}
        if isinstance(default, bool):
            group.add_argument(_flag(f.name), action=argparse.BooleanOptionalAction, **kwargs)
            continue
        kwargs["type"] = type(default)
        if "choices" in meta:
            kwargs["choices"] = list(meta["choices"])
        else:
            kwargs["metavar"] = {int: "N", float: "X", str: "TEXT"}.get(type(default), "V")
        group.add_argument(_flag(f.name), **kwargs)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``train`` subcommand."""
    p = sub.add_parser("train", parents=[common], help="train a LoRA/DoRA adapter",
                       description="Fine-tune a model with LoRA/DoRA on a dataset and save the adapter. Settings come "
                                   "from the defaults (mlx_lm.lora's), then --config YAML, then the flags.")
    p.add_argument("--model", default=None, help="library model name or model folder")
    p.add_argument("--data", default=None, help="a folder with train.jsonl and valid.jsonl [test.jsonl], or one "
                                                "JSONL/CSV file (split automatically)")
    p.add_argument("--adapter-path", default=None, help="folder for the adapter, checkpoints and metrics "
                                                        "(default: a new run folder in the app's runs)")
    p.add_argument("--config", "-c", default=None, help="an mlx_lm-style YAML file with training settings")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --adapter-path")
    p.add_argument("--save-config", default=None, metavar="YAML",
                   help="write the merged settings to this YAML file and exit (no training)")
    add_config_flags(p)
    p.set_defaults(func=run)


def merged_config(args: argparse.Namespace) -> tuple[TrainConfig, dict[str, Any]]:
    """TrainConfig from defaults < ``--config`` YAML < flags, and the YAML's run keys (model, data, adapter_path)."""
    cfg, run_keys = TrainConfig(), {}
    if args.config:
        cfg, run_keys, _ignored = load_yaml(args.config)
    changes = {f.name: getattr(args, f.name) for f in config_fields() if getattr(args, f.name, None) is not None}
    cfg = dataclasses.replace(cfg, **changes).validate()
    return cfg, run_keys


def run(args: argparse.Namespace, out: Output) -> int:
    """Train in this process; print the adapter folder on stdout. Exit 0 ok, 2 bad input, 130 stopped."""
    from mlxstudio.core.worker import execute

    cfg, run_keys = merged_config(args)
    if args.save_config:
        cfg.to_yaml(args.save_config)
        out.result(str(args.save_config), data={"path": str(args.save_config)})
        return 0
    model = args.model or run_keys.get("model")
    data = args.data or run_keys.get("data")
    adapter_path = args.adapter_path or run_keys.get("adapter_path")
    if not model or not data:
        raise UserError("give --model and --data (or model: and data: in the --config file)")
    if not Path(str(data)).exists():
        raise UserError(f"{data}: dataset not found — give a JSONL/CSV file or a folder with train.jsonl")
    run_dir = None
    if not adapter_path:
        if args.resume:
            raise UserError("--resume needs --adapter-path (the folder of the run to continue)")
        from mlxstudio.core import runs

        run_dir = runs.new_run_dir(Path(str(model)).name)
        runs.create_run(run_dir, model=str(model), dataset=str(data), config=cfg.to_dict(),
                        total_iterations=cfg.iters)
        adapter_path = str(run_dir)

    stop = threading.Event()
    result: dict[str, Any] = {}

    def sink(event: ev.Event) -> None:
        if isinstance(event, ev.Finished):
            result.update(event.result)
        out.sink(event)

    def on_sigint(_sig: int, _frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        out.info("stopping after this step (the adapter will be saved) — press Ctrl+C again to abort")

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        if run_dir is not None:
            from mlxstudio.core import runs

            runs.update_run(run_dir, status="running")
        code = execute("train", {"model": str(model), "data": str(data), "adapter_path": str(adapter_path),
                                 "config": cfg.to_dict(), "resume": bool(args.resume)}, sink, stop.is_set)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if run_dir is not None:
        from mlxstudio.core import runs

        status = {0: "finished", 130: "stopped"}.get(code, "failed")
        runs.update_run(run_dir, status=status, message=str(result.get("message", "")))
    if code == 0:
        out.result(str(adapter_path), data={"adapter_path": str(adapter_path), **result})
    return code
