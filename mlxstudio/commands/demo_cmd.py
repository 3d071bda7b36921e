"""``mlxstudio-cli demo``: the seed demo headless — train the five seed pairs, fuse, compare base vs tuned."""

from __future__ import annotations

import argparse
import shutil

from mlxstudio.commands.output import Output
from mlxstudio.core.i18n import _


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``demo`` subcommand."""
    p = sub.add_parser("demo", parents=[common], help=_("train the seed pairs on the demo model and compare answers"),
                       description=_("Install the embedded demo model (SmolLM2-135M-Instruct), fine-tune it on the "
                                     "five seed pairs (LoRA), fuse the adapter and print base vs tuned answers with "
                                     "timings. Exit 0 when the tuned model answers more seed prompts than the base "
                                     "model, else 1."))
    p.add_argument("--model", default=None, help=_("use this model instead of the demo model (library name or folder)"))
    p.add_argument("--iters", type=int, default=None, help=_("training iterations (default 60)"))
    p.add_argument("--max-tokens", type=int, default=32, help=_("maximum tokens per answer"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Output) -> int:
    """Run the demo; the table goes to stdout, progress to stderr."""
    from mlxstudio.core.demo import format_result, run_demo

    result = run_demo(args.model, iters=args.iters, max_tokens=args.max_tokens, sink=out.sink)
    width = min(max(shutil.get_terminal_size((110, 24)).columns, 60), 160)
    out.result(format_result(result, max_width=width), data=result.to_dict())
    tuned = sum(r.tuned_ok for r in result.rows)
    base = sum(r.base_ok for r in result.rows)
    return 0 if tuned > base else 1
