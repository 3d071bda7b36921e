"""``mlxstudio-cli download`` (a model from ModelScope or Hugging Face into the library) and ``convert``."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Any

from mlxstudio.commands.output import Output
from mlxstudio.core import errors
from mlxstudio.core import events as ev
from mlxstudio.core.i18n import N_, _


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the ``download`` and ``convert`` subcommands."""
    p = sub.add_parser(
        "download", parents=[common], help=_("download a model from ModelScope or Hugging Face"),
        description=_("Download a model into the library with the real hub client: only the files a model needs, "
                      "verified, moved into the library when complete. Ctrl+C stops it; running the same command "
                      "again resumes. Example: mlxstudio-cli download Qwen/Qwen3-0.6B"))
    p.add_argument("model_id", metavar="MODEL_ID", help=_("owner/name, e.g. Qwen/Qwen3-0.6B or "
                                                         "mlx-community/Qwen3-0.6B-4bit"))
    p.add_argument("--name", default=None, help=_("name in the library (default: the part of the id after the slash)"))
    add_hub_arguments(p, N_("models"))
    p.add_argument("--quantize", type=int, default=None, choices=(4, 8), metavar="BITS",
                   help=_("convert to a 4- or 8-bit MLX model with mlx_lm.convert after downloading"))
    p.add_argument("--group-size", type=int, default=64, help=_("quantization group size (default 64)"))
    p.add_argument("--fresh", action="store_true",
                   help=_("download even when a complete copy is already on this computer (the library, or the "
                          "Hugging Face / ModelScope cache, which is otherwise linked into the library)"))
    p.set_defaults(func=run_download)

    c = sub.add_parser(
        "convert", parents=[common], help=_("convert/quantize a model folder with mlx_lm.convert"),
        description=_("Convert a Hugging Face-format model (or any float model) to MLX format with mlx_lm.convert, "
                      "optionally quantized, into the library or a folder."))
    c.add_argument("model", metavar="MODEL", help=_("library model name or model folder"))
    c.add_argument("--quantize", type=int, default=4, choices=(0, 2, 3, 4, 5, 6, 8), metavar="BITS",
                   help=_("bits per weight (default 4; 0 = keep float weights)"))
    c.add_argument("--group-size", type=int, default=64, help=_("quantization group size (default 64)"))
    c.add_argument("--dtype", default=None, choices=("float16", "bfloat16", "float32"),
                   help=_("float type of the non-quantized weights (default: the model's own)"))
    target = c.add_mutually_exclusive_group()
    target.add_argument("--name", default=None, help=_("library name (default: <model>-<bits>bit)"))
    target.add_argument("--save-path", default=None, help=_("write to this folder instead of the library"))
    c.set_defaults(func=run_convert)


def add_hub_arguments(p: argparse.ArgumentParser, what: str) -> None:
    """``--hub``, ``--endpoint`` and ``--token-env`` (for the downloads of models and of datasets)."""
    p.add_argument("--hub", default="modelscope", choices=("modelscope", "huggingface", "ms", "hf"),
                   help=_("where to download from (default: modelscope)"))
    p.add_argument("--endpoint", default=None, metavar="URL",
                   help=_("another server (mirror); default MODELSCOPE_ENDPOINT / HF_ENDPOINT or the public hub"))
    p.add_argument("--token-env", default=None, metavar="VAR",
                   help=_("read an access token from this environment variable (gated or private {what}); the "
                          "Hugging Face client also reads HF_TOKEN by itself").format(what=_(what)))


class _DropClientBars(io.TextIOBase):
    """stderr while the hub client runs: the client's own tqdm bars (redrawn with \\r) are dropped, lines pass."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self._open_line = False  # the last text passed on did not end its line yet

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if "\r" in text or "\x1b[" in text:
            return len(text)
        if not text.strip():  # bare newlines: bars moving down — keep only the one that ends a printed line
            if self._open_line and "\n" in text:
                self._real.write("\n")
                self._open_line = False
            return len(text)
        self._real.write(text)
        self._open_line = not text.endswith("\n")
        return len(text)

    def flush(self) -> None:
        self._real.flush()

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def _ctrl_c_cancels(flag: threading.Event) -> Iterator[None]:
    """The first Ctrl+C asks the download to stop (it keeps what it has); a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        if flag.is_set():
            raise KeyboardInterrupt
        flag.set()

    old = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)


def token_from_env(var: str | None) -> str | None:
    """The token in the environment variable ``var`` (``--token-env``), None without one; an error when unset."""
    if not var:
        return None
    token = os.environ.get(var)
    if not token:
        raise errors.UserError(_("the environment variable {var} is not set — export your token in it first").format(
            var=var))
    return token


@contextlib.contextmanager
def download_session(out: Output) -> Iterator[threading.Event]:
    """Around a hub download: our progress bar, the client's own bars dropped, Ctrl+C sets the cancel flag (yielded)."""
    cancel = threading.Event()
    # create the progress bar now, on the real stderr, before the client's own bars are filtered out
    if not out.json_mode and not out.quiet and sys.stderr.isatty():
        out.sink(ev.DownloadProgress(file="", file_done=0, file_total=0, done=0, total=0))
    with _ctrl_c_cancels(cancel), contextlib.redirect_stderr(_DropClientBars(sys.stderr)):
        yield cancel


def run_download(args: argparse.Namespace, out: Output) -> int:
    """Download and print the model folder on stdout."""
    from mlxstudio.core.hub import download_model

    token = token_from_env(args.token_env)
    with download_session(out) as cancel:
        path = download_model(args.hub, args.model_id, name=args.name, token=token, endpoint=args.endpoint,
                              sink=out.sink, cancel=cancel, quantize=args.quantize, group_size=args.group_size,
                              use_local=not args.fresh)
    out.result(str(path), data={"path": str(path), "name": path.name})
    return 0


def run_convert(args: argparse.Namespace, out: Output) -> int:
    """Convert and print the new model folder on stdout."""
    from mlxstudio.core.models import convert_model, resolve_model

    src = resolve_model(args.model)
    cancel = threading.Event()
    with _ctrl_c_cancels(cancel):
        path = convert_model(src, args.save_path, quantize=args.quantize or None, group_size=args.group_size,
                             dtype=args.dtype, name=args.name, sink=out.sink, cancel=cancel)
    out.result(str(path), data={"path": str(path), "name": path.name})
    return 0
