"""``mlxstudio-cli``: the headless front end of the engine (same engine as the app).

Each group of subcommands lives in a module of :mod:`mlxstudio.commands` that defines
``register(subparsers, common)``; the parser it adds sets ``func(args, out) -> int``.

Exit codes: 0 success, 1 the command ran and found problems (e.g. ``data validate``), 2 unusable input or a
user-fixable error (the message says what to do), 3 an internal error (traceback in the log file), 130 cancelled.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mlxstudio import __version__
from mlxstudio.commands.output import Output
from mlxstudio.core import errors, i18n
from mlxstudio.core.i18n import _
from mlxstudio.core.logs import log_exception

COMMAND_MODULES = ("models_cmd", "data_cmd", "generate_cmd", "train_cmd", "fuse_cmd", "demo_cmd", "desktop_cmd",
                   "download_cmd", "serve_cmd")


def _argparse_in_language() -> None:
    """argparse's own words ("usage:", "options", its error lines) through the core catalog: Python ships no Chinese
    catalog for them. argparse looks its ``_``/``ngettext`` up at call time, so this covers every parser."""
    setattr(argparse, "_", i18n.gettext)  # noqa: B010 — typeshed does not declare argparse's gettext alias
    setattr(argparse, "ngettext", i18n.ngettext)  # noqa: B010


def _output_options(default: object) -> argparse.ArgumentParser:
    """``--quiet`` / ``--json``, accepted before and after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--quiet", "-q", action="store_true", default=default, help=_("print only results and errors"))
    common.add_argument("--json", action="store_true", default=default,
                        help=_("print machine-readable events as JSON lines"))
    return common


def build_parser() -> argparse.ArgumentParser:
    _argparse_in_language()
    parser = argparse.ArgumentParser(
        prog="mlxstudio-cli",
        description=_("MLX Studio without the window: models, datasets, training, fusing and testing."),
        parents=[_output_options(default=False)],
    )
    # The same flags after the subcommand; SUPPRESS keeps a subcommand from resetting `--json SUB` to False.
    common = _output_options(default=argparse.SUPPRESS)
    parser.add_argument("--version", action="version", version=f"mlxstudio {__version__}",
                        help=_("show program's version number and exit"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"mlxstudio.commands.{name}")
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    out = Output(quiet=args.quiet, json_mode=args.json)
    try:
        return int(args.func(args, out) or 0)
    except errors.Cancelled as exc:
        out.error(_("cancelled: {reason}").format(reason=exc) if str(exc) else _("cancelled"))
        return 130
    except KeyboardInterrupt:
        out.error(_("cancelled (Ctrl+C)"))
        return 130
    except errors.UserError as exc:
        out.error(str(exc))
        return 2
    except Exception as exc:  # an internal error: one line for the user, the traceback to the log
        disk = errors.disk_error(exc)  # a full/read-only disk is the user's to fix
        if disk is not None:
            out.error(str(disk))
            return 2
        log_file = log_exception(exc)
        out.error(_("internal error: {name}: {exc} (details in {log_file})").format(
            name=exc.__class__.__name__, exc=exc, log_file=log_file))
        return 3
    finally:
        out.close()


if __name__ == "__main__":
    sys.exit(main())
