"""``mlxstudio-cli data validate|convert|split|stats``: check, convert, split and measure dataset files.

Every action reads what the Data page reads (JSONL, JSON arrays, CSV/TSV, Parquet; Alpaca, ShareGPT and OpenAI
content parts converted, the conversion said in one line) and takes mlx-lm's ``--*-feature`` field mapping."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NamedTuple

from mlxstudio.commands.output import Output
from mlxstudio.core import data as dsm
from mlxstudio.core.errors import DataError
from mlxstudio.core.i18n import N_, _, ngettext


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``data validate``, ``data split`` and ``data stats``."""
    # --json/--quiet may come before or after the action; SUPPRESS keeps a value given earlier on the command line
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help=_("print only results and errors"))
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help=_("print the result (problems, counts) as JSON"))
    data = sub.add_parser("data", help=_("check, split and measure dataset files (.jsonl / .csv)"), parents=[common])
    dsub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data.set_defaults(func=lambda args, out: (data.print_help(), 2)[1])

    v = dsub.add_parser("validate", parents=[common], help=_("check every row; exit 0 clean (warnings allowed), "
                                                             "1 errors found, 2 a file is unusable"))
    v.add_argument("files", nargs="+", metavar="FILE", type=Path,
                   help=_("dataset files, or folders (their train/valid/test files, or every dataset file in them)"))
    _length_args(v)
    add_feature_args(v)
    v.set_defaults(func=cmd_validate)

    c = dsub.add_parser("convert", parents=[common],
                        help=_("write a file in another shape (Alpaca, ShareGPT, Parquet…) as mlx-lm JSONL; the "
                               "original stays as it is"))
    c.add_argument("file", metavar="FILE", type=Path)
    c.add_argument("--out", type=Path, required=True, metavar="FILE.jsonl", help=_("where to write the rows"))
    add_feature_args(c)
    c.set_defaults(func=cmd_convert)

    s = dsub.add_parser("split", parents=[common], help=_("split a file into train/valid/test .jsonl in a folder"))
    s.add_argument("file", metavar="FILE", type=Path)
    s.add_argument("--valid-fraction", type=float, default=0.1, help=_("share of rows for validation (default 0.1)"))
    s.add_argument("--test-fraction", type=float, default=0.1, help=_("share of rows for testing (default 0.1)"))
    s.add_argument("--seed", type=int, default=0, help=_("shuffle seed; same seed → same split (default 0)"))
    s.add_argument("--out", type=Path, required=True, metavar="DIR", help=_("folder for train/valid/test.jsonl"))
    add_feature_args(s)
    s.set_defaults(func=cmd_split)

    st = dsub.add_parser("stats", parents=[common], help=_("rows, format and lengths (tokens with --model)"))
    st.add_argument("file", metavar="FILE", type=Path)
    _length_args(st)
    add_feature_args(st)
    st.set_defaults(func=cmd_stats)

    from mlxstudio.commands import data_download_cmd  # `data download`: a dataset from a hub

    data_download_cmd.register(dsub, common)


def add_feature_args(p: argparse.ArgumentParser) -> None:
    """mlx-lm's field-name options: which field of the rows is the prompt, the completion, the text, the chat."""
    g = p.add_argument_group(_("fields (for rows with other names; mlx-lm's options)"))
    g.add_argument("--prompt-feature", metavar="FIELD", help=_("the field that holds the prompt"))
    g.add_argument("--completion-feature", metavar="FIELD", help=_("the field that holds the completion"))
    g.add_argument("--text-feature", metavar="FIELD", help=_("the field that holds the text"))
    g.add_argument("--chat-feature", metavar="FIELD", help=_("the field that holds the list of chat messages"))
    g.add_argument("--system-feature", metavar="FIELD", help=_("the field that holds a system prompt"))


def field_map(args: argparse.Namespace) -> dsm.FieldMap | None:
    """The mapping the ``--*-feature`` options give (None: none given)."""
    from mlxstudio.core.training.config import FEATURE_KEYS  # mlx-lm's key → what the field is

    names = {**FEATURE_KEYS, "system_feature": "system"}  # --system-feature: ours, mlx-lm has none
    fields = {feature: getattr(args, key) for key, feature in names.items() if getattr(args, key, None)}
    return dsm.FieldMap(fields) if fields else None


def _expand(paths: list[Path]) -> list[Path]:
    """Folders → their split files (train/valid/test) or, without those, every dataset file in them."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            splits = list(dsm.find_split_files(p).values())
            out += splits or sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in dsm.DATA_SUFFIXES)
            if not splits and not any(f.suffix.lower() in dsm.DATA_SUFFIXES for f in p.iterdir() if f.is_file()):
                out.append(p)  # reported as unusable: no dataset file in it
        else:
            out.append(p)
    return out


_COUNTED = {"row": (N_("{n} row"), N_("{n} rows")), "error": (N_("{n} error"), N_("{n} errors")),
            "warning": (N_("{n} warning"), N_("{n} warnings"))}


def _n(count: int, word: str) -> str:
    one, many = _COUNTED[word]
    return ngettext(one, many, count).format(n=count)


def _length_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=None, help=_("count tokens with this model's tokenizer (library name or folder)"))
    p.add_argument("--max-seq-length", type=int, default=None,
                   help=_("warn about rows longer than this many tokens (needs --model)"))
    p.add_argument("--max-chars", type=int, default=None, help=_("warn about rows longer than this many characters"))
    p.add_argument("--no-mask-prompt", action="store_true", help=_("count as if the prompt is trained too"))
    p.add_argument("--reasoning", choices=dsm.REASONING_MODES, default="auto",
                   help=_("with --model and a chat template with a thinking block (Qwen3): count the rows as "
                          "`train --reasoning` renders them (default: auto, by the rows)"))


class _Counts(NamedTuple):
    totals: list[int]
    prompts: list[int]  # masked prompt tokens
    trained: list[int]  # the targets the trainer trains (after cutting to --max-seq-length)
    reasoning: str | None  # the reasoning setting the rows were rendered with (None: no thinking switch)


def _token_counts(ds: dsm.Dataset, args: argparse.Namespace) -> _Counts | None:
    """Every row's tokens exactly as the trainer renders them: the reasoning setting resolved as ``train`` resolves
    it, then ``encode_row`` (through ``count_tokens``), the function ``training.batching.tokenize_rows`` uses."""
    if not args.model:
        return None
    from mlxstudio.core.data import count_tokens, load_tokenizer, resolve_reasoning
    from mlxstudio.core.models import resolve_model

    tokenizer = load_tokenizer(resolve_model(args.model))
    reasoning = resolve_reasoning(args.reasoning, tokenizer, ds.rows)
    counts = _Counts([], [], [], reasoning)
    for row in ds.rows:
        c = count_tokens(tokenizer, row, ds.format, mask_prompt=not args.no_mask_prompt, reasoning=reasoning)
        counts.totals.append(c.total)
        counts.prompts.append(c.offset)
        counts.trained.append(c.trained(args.max_seq_length))
    return counts


def cmd_validate(args: argparse.Namespace, out: Output) -> int:
    """Validate each file; print ``file:line: message`` per problem and a summary per file."""
    if args.max_seq_length and not args.model:
        out.info(_("note: --max-seq-length counts tokens, which needs --model; rows are not checked for length"))
    worst = 0
    report: list[dict[str, Any]] = []
    mapping = field_map(args)
    for path in _expand(args.files):
        name = str(path)
        try:
            if path.is_dir():
                raise DataError(_("is a folder with no dataset file in it (train.jsonl, .json, .csv, .parquet…)"), name)
            ds = dsm.load_dataset(path, mapping)
        except DataError as exc:
            worst = 2
            report.append({"file": name, "status": "unusable", "rows": 0, "format": None,
                           "problems": [{"file": name, "row": -1, "line": exc.line, "severity": "error", "key": None,
                                         "message": exc.detail}]})
            if not out.json_mode:
                print(f"{exc}", flush=True)
                out.info(_("{name}: unusable — fix the problem above and run again").format(name=name))
            continue
        counts = _token_counts(ds, args)
        problems = dsm.validate_dataset(ds, args.max_seq_length, token_counts=counts.totals if counts else None,
                                        prompt_token_counts=counts.prompts if counts else None,
                                        max_chars=args.max_chars)
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        if errors:
            worst = max(worst, 1)
        report.append({"file": name, "status": "problems" if errors else "ok", "rows": len(ds), "format": ds.format,
                       "errors": errors, "warnings": warnings, "problems": [p.to_dict(name) for p in problems],
                       "conversion": ds.conversion.to_dict() if ds.conversion else None})
        if not out.json_mode:
            if ds.conversion is not None:
                out.info(f"{name}: {ds.conversion.summary()}")
            for p in problems:
                print(p.format(name), flush=True)
            blank = _(", {n} blank lines skipped").format(n=ds.blank_lines) if ds.blank_lines else ""
            out.info(_("{name}: {rows} ({format}), {errors}, {warnings}{blank}").format(
                name=name, rows=_n(len(ds), "row"), format=ds.format, errors=_n(errors, "error"),
                warnings=_n(warnings, "warning"), blank=blank))
    if out.json_mode:
        out.result(data={"files": report, "exit_code": worst})
    return worst


def cmd_convert(args: argparse.Namespace, out: Output) -> int:
    """Read any supported file and write its rows as mlx-lm JSONL (atomic; refuses to overwrite the input)."""
    ds = dsm.load_dataset(args.file, field_map(args))
    if args.out.suffix.lower() != ".jsonl":
        raise DataError(_("the converted rows are written as JSONL — give the output a .jsonl name"), str(args.out))
    if args.out.exists() and args.out.resolve() == args.file.resolve():
        raise DataError(_("is the file being converted — write the rows to a new file"), str(args.out))
    ds.conversion, conversion = None, ds.conversion  # the rows are ours now: written to a new file
    written = dsm.save_dataset(ds, args.out)
    problems = dsm.validate_dataset(ds)
    errors = sum(p.severity == "error" for p in problems)
    what = conversion.summary() if conversion else _("already in mlx-lm's {format} format").format(format=ds.format)
    if out.json_mode:
        out.result(data={"file": str(args.file), "out": str(written), "rows": len(ds), "format": ds.format,
                         "conversion": conversion.to_dict() if conversion else None, "errors": errors})
    else:
        left = _("; {errors} left: run `mlxstudio-cli data validate {file}`").format(
            errors=_n(errors, "error"), file=written) if errors else ""
        out.result(f"{written}: {_n(len(ds), 'row')} ({ds.format}) — {what}{left}")
    return 1 if errors else 0


def cmd_split(args: argparse.Namespace, out: Output) -> int:
    """Validate, split with the seed, and write train/valid/test.jsonl (nothing is written when there are errors)."""
    ds = dsm.load_dataset(args.file, field_map(args))
    if ds.conversion is not None:
        out.info(f"{args.file}: {ds.conversion.summary()}")
    problems = dsm.validate_dataset(ds)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        if out.json_mode:
            out.result(data={"written": {}, "problems": [p.to_dict(str(args.file)) for p in problems]})
        else:
            for p in errors:
                print(p.format(str(args.file)), flush=True)
        out.error(_("{file}: {n} errors — fix them first; nothing was written").format(file=args.file, n=len(errors)))
        return 1
    splits = dsm.split_dataset(ds, args.valid_fraction, args.test_fraction, args.seed)
    leaks = dsm.find_leakage(splits)
    written = dsm.write_splits(splits, args.out)
    counts = {k: len(v) for k, v in splits.items()}
    if out.json_mode:
        out.result(data={"written": {k: str(v) for k, v in written.items()}, "counts": counts,
                         "problems": [p.to_dict(str(args.file)) for p in problems + leaks]})
    else:
        for p in problems:
            out.info(p.format(str(args.file)))
        for p in leaks:
            out.info(p.format())
        out.result(_("{out}: train {train}, valid {valid}, test {test} rows (seed {seed})").format(
            out=args.out, train=counts["train"], valid=counts["valid"], test=counts["test"], seed=args.seed))
    return 0


def cmd_stats(args: argparse.Namespace, out: Output) -> int:
    """Print row count, format and lengths (characters; tokens with --model)."""
    ds = dsm.load_dataset(args.file, field_map(args))
    st = dsm.dataset_stats(ds)
    data: dict[str, Any] = {"file": str(args.file), "rows": st.rows, "format": st.format,
                            "chars": {"min": st.min_chars, "mean": round(st.mean_chars, 1), "max": st.max_chars}}
    lines = [f"{args.file}: {st.rows} rows, {st.format} format",
             f"characters per row: min {st.min_chars}, mean {st.mean_chars:.0f}, max {st.max_chars}"]
    counts = _token_counts(ds, args)
    if counts:
        totals, trained = counts.totals, counts.trained
        data["tokens"] = {"min": min(totals), "mean": round(sum(totals) / len(totals), 1), "max": max(totals),
                          "total": sum(totals), "trained": sum(trained)}
        lines.append(f"tokens per row: min {min(totals)}, mean {sum(totals) / len(totals):.0f}, max {max(totals)}; "
                     f"{sum(totals)} in total, {sum(trained)} trained")
        if counts.reasoning:
            data["reasoning"] = counts.reasoning
            lines.append(_("reasoning: {mode} (rendered as `train --reasoning {mode}` trains them)").format(
                mode=counts.reasoning))
        if args.max_seq_length:
            over = sum(t > args.max_seq_length for t in totals)
            data["truncated_rows"] = over
            lines.append(f"rows longer than {args.max_seq_length} tokens (would be truncated): {over}")
    out.result("\n".join(lines), data=data)
    return 0
