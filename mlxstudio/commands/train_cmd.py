"""``mlxstudio-cli train``: train a LoRA/DoRA adapter (same engine as the app's Train page).

Flags are generated from :class:`~mlxstudio.core.training.config.TrainConfig` (names follow ``mlx_lm.lora``:
``--iters --batch-size --learning-rate --num-layers --rank --fine-tune-type --mask-prompt/--no-mask-prompt`` …).
``--config`` reads an mlx_lm-style YAML file as ``mlx_lm.lora`` means it (keys it does not set take mlx_lm.lora's
defaults; its ``model``/``data``/``hf_dataset`` are used unless given as flags; every key not applied as written —
``adapter_path`` among them: each run gets its own folder — is listed on stderr, see
:mod:`mlxstudio.core.training.mlx_lm_yaml`); flags given on the command line override the file. Ctrl+C stops after
the current step and keeps the adapter (resume with ``--resume``); a second Ctrl+C aborts. ``--fine-tune-type full``
trains every weight of the last ``--num-layers`` blocks and also saves the whole model into the library.
``--nproc N`` / ``--hosts`` run the same job as a group of ranks through ``mlx.launch`` (ring backend; see
:mod:`mlxstudio.core.training.distributed`): rank 0's events are shown as usual, Ctrl+C stops every rank.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import threading
from pathlib import Path
from typing import Any

from mlxstudio.commands.data_cmd import add_feature_args, field_map
from mlxstudio.commands.output import Output
from mlxstudio.core import events as ev
from mlxstudio.core.errors import UserError
from mlxstudio.core.i18n import _
from mlxstudio.core.training import TrainConfig, config_fields


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def add_config_flags(parser: argparse.ArgumentParser) -> None:
    """One flag per TrainConfig field (default None = not given, so YAML and defaults apply)."""
    basic = parser.add_argument_group(_("training settings"))
    advanced = parser.add_argument_group(_("advanced training settings"))
    for f in config_fields():
        meta = f.metadata
        if meta.get("group") == "hidden":
            continue
        group = basic if meta.get("group") == "basic" else advanced
        if f.default is dataclasses.MISSING:  # a list (lora_keys): names given one after another
            group.add_argument(_flag(f.name), dest=f.name, default=None, nargs="+", metavar="KEY",
                               help=_("{help} (default: every linear layer)").format(help=_(meta["help"]))
                               .replace("%", "%%"))
            continue
        default = f.default
        help_text = _("{help} (default: {default})").format(help=_(meta["help"]), default=default).replace("%", "%%")
        if f.name == "mask_prompt":  # the truth for --config files (training.mlx_lm_yaml)
            help_text += _("; a --config file that does not set mask_prompt means mlx_lm.lora's default, false")
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
    p = sub.add_parser("train", parents=[common], help=_("train a LoRA/DoRA adapter"),
                       description=_("Fine-tune a model with LoRA/DoRA (or all weights of the last blocks: "
                                     "--fine-tune-type full) on a dataset and save the adapter. Settings come from "
                                     "MLX Studio's defaults (mlx_lm.lora's, except prompt masking: on here), then "
                                     "the --config YAML (it means what it means to mlx_lm.lora: a key it does not "
                                     "set takes mlx_lm.lora's default, so prompt masking is off unless it says "
                                     "mask_prompt: true; keys not applied are listed on stderr), then the flags."))
    p.add_argument("--model", default=None, help=_("library model name or model folder"))
    p.add_argument("--data", default=None, help=_("a folder with train.jsonl and valid.jsonl [test.jsonl], or one "
                                                  "JSONL/CSV file (split automatically)"))
    p.add_argument("--adapter-path", default=None, help=_("folder for the adapter, checkpoints and metrics "
                                                          "(default: a new run folder in the app's runs)"))
    p.add_argument("--config", "-c", default=None, help=_("an mlx_lm-style YAML file with training settings"))
    p.add_argument("--resume", action="store_true", help=_("continue from the newest checkpoint in --adapter-path"))
    p.add_argument("--resume-adapter-file", dest="resume_adapter_file", default=None, metavar="SAFETENSORS",
                   help=_("start a new run from these adapter weights (an earlier run's adapters.safetensors); not "
                          "a resume: step, optimizer and schedule start afresh"))
    add_feature_args(p)
    p.add_argument("--save-config", default=None, metavar="YAML",
                   help=_("write the merged settings to this YAML file and exit (no training)"))
    dist = p.add_argument_group(_("several processes or machines (mlx.launch, ring backend)"))
    dist.add_argument("--nproc", type=int, default=None, metavar="N",
                      help=_("run N ranks on this machine (with --hosts: N ranks on each host); the batch size is "
                             "split across all ranks, so it must be a multiple of their number"))
    dist.add_argument("--hosts", default=None, metavar="HOSTFILE|H1,H2",
                      help=_("train on several machines: a host file (one 'name [ip]' per line, or MLX's JSON "
                             "hostfile) or names separated by commas; rank 0 (the first host) writes the adapter. "
                             "Every machine needs passwordless ssh and the same Python environment, model and data "
                             "paths"))
    dist.add_argument("--port", type=int, default=None, metavar="P",
                      help=_("first TCP port of the ring between machines (default 32323; local runs pick free ports)"))
    add_config_flags(p)
    p.set_defaults(func=run)


def merged_config(args: argparse.Namespace, out: Output | None = None) -> tuple[TrainConfig, dict[str, Any]]:
    """TrainConfig from defaults < ``--config`` YAML < flags, and the YAML's run keys (model, data, hf_dataset…).

    Every key of the file that is not applied as written is said to ``out`` (stderr) as a warning."""
    cfg = TrainConfig()
    run_keys: dict[str, Any] = {}
    if args.config:
        from mlxstudio.core.training.mlx_lm_yaml import read_config

        read = read_config(args.config, cli_data=bool(args.data), cli_model=bool(args.model),
                           adapter_path_flag=bool(args.adapter_path))
        cfg, run_keys = read.config, read.run
        for note in read.cli_notes:
            if out is not None:
                out.sink(ev.Log(_("{path}: {note}").format(path=args.config, note=note), "warning"))
    changes = {f.name: getattr(args, f.name) for f in config_fields() if getattr(args, f.name, None) is not None}
    cfg = dataclasses.replace(cfg, **changes).validate()
    return cfg, run_keys


def run(args: argparse.Namespace, out: Output) -> int:
    """Train in this process; print the adapter folder on stdout. Exit 0 ok, 2 bad input, 130 stopped."""
    from mlxstudio.core.runtime import execute

    cfg, run_keys = merged_config(args, out)
    if args.save_config:
        cfg.to_yaml(args.save_config)
        out.result(str(args.save_config), data={"path": str(args.save_config)})
        return 0
    model = args.model or run_keys.get("model")
    data = args.data or run_keys.get("data")
    adapter_path = args.adapter_path  # a config file's adapter_path is not used (see training.mlx_lm_yaml)
    hf = run_keys.get("hf_dataset") if not data else None
    if not model or not (data or hf):
        raise UserError(_("give --model and --data (or model: and data: — or an hf_dataset block — in the --config "
                          "file)"))
    mapping = field_map(args)
    features = {**run_keys.get("features", {}), **(dict(mapping.fields) if mapping else {})}
    if hf is not None:
        from mlxstudio.commands.hf_dataset import materialize

        data = str(materialize(hf, out.sink, features=features))
        features = {}  # applied: the folder holds our rows
    if not Path(str(data)).exists():
        raise UserError(_("{data}: dataset not found — give a JSONL/CSV file or a folder with train.jsonl").format(
            data=data))
    group = group_hosts(args, cfg)
    run_dir = None
    if not adapter_path:
        if args.resume:
            raise UserError(_("--resume needs --adapter-path (the folder of the run to continue)"))
        from mlxstudio.core.training import runs

        run_dir = runs.new_run_dir(Path(str(model)).name)
        runs.create_run(run_dir, model=str(model), dataset=str(data), config=cfg.to_dict(),
                        total_iterations=cfg.iters)
        adapter_path = str(run_dir)

    if group is not None:
        return run_group(args, out, group, str(model), str(data), str(adapter_path), cfg, run_dir, features)

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
        out.info(_("stopping after this step (the adapter will be saved) — press Ctrl+C again to abort"))

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        if run_dir is not None:
            from mlxstudio.core.training import runs

            runs.update_run(run_dir, status="running")
        code = execute("train", {"model": str(model), "data": str(data), "adapter_path": str(adapter_path),
                                 "config": cfg.to_dict(), "resume": bool(args.resume), "features": features},
                       sink, stop.is_set)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if run_dir is not None:
        from mlxstudio.core.training import runs

        status = {0: "finished", 130: "stopped"}.get(code, "failed")
        runs.update_run(run_dir, status=status, message=str(result.get("message", "")), result=result)
    if code == 0:
        out.result(str(adapter_path), data={"adapter_path": str(adapter_path), **result})
    return code


# -- several ranks (mlx.launch) ------------------------------------------------------------------------------------
def group_hosts(args: argparse.Namespace, cfg: TrainConfig) -> list[Any] | None:
    """The resolved host list of a multi-rank run (None: train in this process); refuses an unsplittable batch."""
    nproc = getattr(args, "nproc", None)
    spec = getattr(args, "hosts", None)
    if nproc is not None and nproc < 1:
        raise UserError(_("--nproc {nproc}: give at least 1").format(nproc=nproc))
    if not spec and (nproc or 1) == 1:
        return None
    from mlxstudio.core.training import check_batch_size
    from mlxstudio.core.training import hosts as hostlib

    if spec:
        listed = [dataclasses.replace(h, slots=h.slots * (nproc or 1)) for h in hostlib.parse_hosts(spec)]
        resolved = hostlib.resolve_hosts(listed)
    else:
        resolved = hostlib.local_hosts(int(nproc or 1))
    check_batch_size(cfg.batch_size, hostlib.world_size(resolved))
    return resolved


def run_group(args: argparse.Namespace, out: Output, group: list[Any], model: str, data: str, adapter_path: str,
              cfg: TrainConfig, run_dir: Path | None, features: dict[str, str] | None = None) -> int:
    """Train with one rank per host entry through ``mlx.launch``; rank 0's events go to ``out``."""
    import os
    from collections import Counter

    from mlxstudio.core.models import resolve_model
    from mlxstudio.core.training import GroupProcess, rank_hosts
    from mlxstudio.core.training import hosts as hostlib

    model_dir, data_path = str(resolve_model(model)), os.path.abspath(data)
    adapter_path = os.path.abspath(adapter_path)
    remote = [h for h in group if not h.is_local]
    if remote:
        out.info(_("checking {n} remote host(s) over ssh…").format(n=len(remote)))
        bad = [s for s in hostlib.check_hosts(remote, paths=[model_dir, data_path]) if not s.ok]
        if bad:
            raise hostlib.HostsError(_("cannot start the group: {problems}").format(
                problems="; ".join(f"{s.host}: {s.message}" for s in bad)))
    names = rank_hosts(group)
    where = ", ".join(f"{n} on {name}" for name, n in Counter(names).items())
    out.info(_("training with {n} ranks ({where}); each takes {per_rank} of the {batch_size} rows of every batch; "
               "rank 0 ({first}) writes {adapter_path}").format(
                   n=len(names), where=where, per_rank=cfg.batch_size // len(names), batch_size=cfg.batch_size,
                   first=names[0], adapter_path=adapter_path))
    params = {"model": model_dir, "data": data_path, "adapter_path": adapter_path, "config": cfg.to_dict(),
              "resume": bool(args.resume), "features": features or {}}
    proc = GroupProcess("train", params, group, port=getattr(args, "port", None))
    result: dict[str, Any] = {}
    stopping = threading.Event()

    def on_sigint(_sig: int, _frame: Any) -> None:
        if stopping.is_set():
            out.info(_("aborting: killing every rank (the last complete checkpoint is kept)"))
            proc.kill()
            return
        stopping.set()
        proc.cancel()
        out.info(_("stopping every rank after this step (the adapter will be saved) — press Ctrl+C again to abort"))

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, on_sigint)
    if run_dir is not None:
        from mlxstudio.core.training import runs

        runs.update_run(run_dir, status="running")
    try:
        proc.start()
        final = None
        for event in proc.events():
            if isinstance(event, ev.Finished):
                result.update(event.result)
            out.sink(event)
            final = event
    finally:
        if proc.running:
            proc.kill()
        proc.wait(10)
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if isinstance(final, ev.Finished):
        code = 0
    elif isinstance(final, ev.Cancelled):
        code = 130
    else:
        message = getattr(final, "message", "")
        code = 3 if (message.startswith("internal error") or "stopped unexpectedly" in message
                     or "was killed" in message) else 2
    if run_dir is not None:
        from mlxstudio.core.training import runs

        status = {0: "finished", 130: "stopped"}.get(code, "failed")
        runs.update_run(run_dir, status=status, message=str(result.get("message", "")), result=result)
    if code == 0:
        out.result(adapter_path, data={"adapter_path": adapter_path, **result})
    return code
