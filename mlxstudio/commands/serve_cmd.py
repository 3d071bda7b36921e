"""``mlxstudio-cli serve``: an OpenAI-compatible server (mlx-lm's) for a model (+ adapter) on 127.0.0.1."""

from __future__ import annotations

import argparse
import contextlib
import signal

from mlxstudio.commands.output import Output
from mlxstudio.core.i18n import _


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``serve`` subcommand."""
    p = sub.add_parser("serve", parents=[common], help=_("serve a model (+ adapter) over an OpenAI-compatible API"),
                       description=_("Start mlx-lm's OpenAI-compatible server for the model (with the adapter) on "
                                     "127.0.0.1 — only this computer can reach it. Prints the URL, the model name and "
                                     "a curl example once the model is loaded; Ctrl+C stops it."))
    p.add_argument("--model", required=True, help=_("library model name or model folder (a fused model works too)"))
    p.add_argument("--adapter-path", default=None, help=_("LoRA adapter folder (adapters.safetensors + config)"))
    p.add_argument("--port", type=int, default=None, help=_("port (default: 8080, or the next free one)"))
    p.add_argument("--max-tokens", type=int, default=None, help=_("default answer length when a request sets none"))
    thinking = p.add_mutually_exclusive_group()
    thinking.add_argument("--thinking", dest="enable_thinking", action="store_const", const=True, default=None,
                          help=_("turn thinking on (chat templates with a thinking switch, e.g. Qwen3)"))
    thinking.add_argument("--no-thinking", dest="enable_thinking", action="store_const", const=False,
                          help=_("turn thinking off"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace, out: Output) -> int:
    """Serve until Ctrl+C (or the server ends); the URL, model name and curl example go to stdout."""
    from mlxstudio.core.inference.serve import ServeInfo, ServerProcess, serve_forever

    server = ServerProcess(args.model, args.adapter_path, port=args.port, enable_thinking=args.enable_thinking,
                           max_tokens=args.max_tokens)

    def ready(info: ServeInfo) -> None:
        text = _("Serving on {api_base} (OpenAI-compatible; only this computer can reach it)\n"
                 "model name: {model_id}\n\n{curl}\n\nCtrl+C stops the server.").format(
                     api_base=info.api_base, model_id=info.model_id, curl=info.curl)
        out.result(text, data={"url": info.base_url, "api_base": info.api_base, "model": info.model_id,
                               "listed_id": server.listed_id, "port": info.port, "pid": server.pid,
                               "log": str(server.log_path)})

    out.info(_("loading {model}").format(model=args.model) + (f" + {args.adapter_path}" if args.adapter_path else ""))

    def terminate(*_: object) -> None:
        raise KeyboardInterrupt  # SIGTERM (a service manager, `kill`) stops the server as Ctrl+C does

    with contextlib.suppress(ValueError):  # not the main thread
        signal.signal(signal.SIGTERM, terminate)
    try:
        code = serve_forever(server, ready)
    except KeyboardInterrupt:
        out.info(_("server stopped"))
        return 0
    if code:
        out.error(_("the server ended with exit code {code}; its log: {log_path}\n{log_tail}").format(
            code=code, log_path=server.log_path, log_tail=server.log_tail(8)))
        return 3
    return 0
