"""``mlxstudio-cli data download``: a dataset from ModelScope or Hugging Face, its splits, and rows of one as JSONL.

The glue between the two engine layers that do not know each other: :mod:`mlxstudio.core.hub.datasets` downloads
the folder, :mod:`mlxstudio.core.data.hub_layout` finds its splits and reads the rows.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mlxstudio.commands.data_cmd import add_feature_args, field_map
from mlxstudio.commands.download_cmd import add_hub_arguments, download_session, token_from_env
from mlxstudio.commands.output import Output
from mlxstudio.core.i18n import N_, _


def register(dsub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``data download`` to the actions of ``data``."""
    d = dsub.add_parser(
        "download", parents=[common], help=_("download a dataset from ModelScope or Hugging Face"),
        description=_("Download the data files of a dataset repository (.parquet, .jsonl, .json, .csv, .tsv and its "
                      "README, nothing else) with the real hub client into the app's datasets folder, and list its "
                      "splits. With --out, write the rows of --split as one JSONL file. Ctrl+C stops it; running the "
                      "same command again resumes (a finished download is reused). Example: mlxstudio-cli data "
                      "download tatsu-lab/alpaca --hub huggingface --split 'train[:1000]' --out alpaca.jsonl"))
    d.add_argument("dataset_id", metavar="REPO", help=_("owner/name, e.g. tatsu-lab/alpaca"))
    d.add_argument("--name", default=None,
                   help=_("folder name in the datasets folder (default: the part of the id after the slash)"))
    add_hub_arguments(d, N_("datasets"))
    d.add_argument("--split", default=None, metavar="SPEC",
                   help=_("the rows to select, in mlx-lm's syntax: train, train[:1000], train[10:20], train[-10%%:], "
                          "train+validation (default with --out: train); without --out, only counted"))
    d.add_argument("--out", type=Path, default=None, metavar="FILE",
                   help=_("write the selected rows to this .jsonl (or .csv) file"))
    d.add_argument("--refresh", action="store_true", help=_("download again, even when it was downloaded before"))
    add_feature_args(d)
    d.set_defaults(func=cmd_download)


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def cmd_download(args: argparse.Namespace, out: Output) -> int:
    """Download a dataset; print its folder and splits, and with ``--split``/``--out`` select rows (and write them).

    Exit codes: 0 done, 2 a user-fixable problem (unknown dataset, bad split spec, unreadable file…), 130 cancelled.
    """
    from mlxstudio.core.data import dataset_splits, load_split, parse_split_spec, save_dataset, validate_dataset
    from mlxstudio.core.hub import download_dataset

    token = token_from_env(args.token_env)
    if args.split:
        parse_split_spec(args.split)  # a typo in the spec is said before the download, not after
    with download_session(out) as cancel:
        folder = download_dataset(args.hub, args.dataset_id, name=args.name, token=token, endpoint=args.endpoint,
                                  sink=out.sink, cancel=cancel, refresh=args.refresh)
    splits = {key: [f.relpath for f in files] for key, files in dataset_splits(folder).items()}
    data: dict[str, Any] = {"path": str(folder), "splits": splits}
    lines = [str(folder)] + [f"  {key}: {', '.join(files)}" for key, files in splits.items()]
    spec = args.split or ("train" if args.out else None)
    if spec is None:
        out.result("\n".join(lines), data=data)
        return 0
    ds = load_split(folder, spec, field_map(args))
    if ds.conversion is not None:
        out.info(ds.conversion.summary())
    errors = sum(p.severity == "error" for p in validate_dataset(ds))
    data.update({"split": spec, "rows": len(ds), "format": ds.format, "errors": errors, "out": None})
    selected = f"{spec}: {_n(len(ds), 'row')} ({ds.format})"
    if args.out:
        save_dataset(ds, args.out)
        data["out"] = str(args.out)
        selected += f", written to {args.out}"
    if errors:
        out.info(_("note: the rows of {spec} have {n} — `mlxstudio-cli data validate "
                   "{out}` lists them").format(spec=spec, n=_n(errors, 'error'), out=args.out or '<file>'))
    out.result("\n".join([*lines, selected]), data=data)
    return 0
