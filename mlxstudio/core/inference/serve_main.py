"""The server process: ``python -m mlxstudio.core.inference.serve_main [--parent-pid PID] [--served-name NAME]
<mlx_lm.server options>``.

It is mlx-lm's own OpenAI-compatible server (:func:`mlx_lm.server.main`), started the way MLX Studio's workers are:

- OpenBLAS is loaded before MLX on Linux (:func:`mlxstudio.core.runtime.preload_blas`; ~30x faster on the CPU);
- the model id that ``GET /v1/models`` lists (the resolved model folder) is made to mean the served model *with its
  adapter* — stock mlx-lm would load that id without the adapter, so an app that picks the model from the list
  would silently get the untuned model; ``--served-name`` adds a short name that means the same (what the app shows);
- ``/v1/models`` answers without a Hugging Face cache folder (stock mlx-lm fails the request when
  ``~/.cache/huggingface/hub`` does not exist, e.g. for someone who only used ModelScope);
- the HTTP server opens only once the model is loaded (stock mlx-lm answers at once and loads the model on its
  generation thread, so "it answers" would not mean "it is ready"); a model that cannot load ends the process with
  exit code 2 and the traceback in the log, instead of a server that fails every request;
- with ``--parent-pid`` the server ends when that process is gone (the app was killed), so no orphan keeps the port.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

PARENT_POLL_S = 1.0
"""How often the server checks that the app that started it is still there."""


def _pop_option(args: list[str], name: str) -> str | None:
    """Remove ``name VALUE`` from ``args``; return VALUE (None when absent)."""
    if name in args:
        i = args.index(name)
        value = args[i + 1] if i + 1 < len(args) else None
        del args[i:i + 2]
        return value
    return None


def _watch_parent(pid: int) -> None:
    """End this process when ``pid`` is no longer its parent (the app quit or was killed)."""
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != pid:
            os._exit(0)


def alias_listed_model(server: Any, served_name: str | None = None) -> None:
    """Patch ``server.ModelProvider`` so the id listed by ``/v1/models`` for the served model (and ``served_name``)
    loads the served model with its adapter."""
    provider = server.ModelProvider
    if getattr(provider, "_mlxstudio_alias", False):
        return
    original = provider.__init__

    def __init__(self: Any, cli_args: Any) -> None:
        original(self, cli_args)
        if cli_args.model:
            listed = str(Path(cli_args.model).resolve())  # what handle_models_request lists
            for name in (listed, served_name):
                if name:
                    self._model_map.setdefault(name, cli_args.model)
                    self._adapter_map.setdefault(name, cli_args.adapter_path)

    provider.__init__ = __init__
    provider._mlxstudio_alias = True


def tolerate_missing_hf_cache(server: Any) -> None:
    """Make ``server.scan_cache_dir`` give an empty cache, not an exception, when the cache folder is missing."""
    scan = server.scan_cache_dir
    if getattr(scan, "_mlxstudio_tolerant", False):
        return

    def scan_cache_dir(*args: Any, **kwargs: Any) -> Any:
        try:
            return scan(*args, **kwargs)
        except Exception as exc:  # huggingface_hub's CacheNotFound (its class moved between versions)
            if type(exc).__name__ != "CacheNotFound":
                raise
            return SimpleNamespace(repos=frozenset(), size_on_disk=0, warnings=[])

    scan_cache_dir._mlxstudio_tolerant = True  # type: ignore[attr-defined]
    server.scan_cache_dir = scan_cache_dir


def open_when_loaded(server: Any) -> None:
    """Patch ``server._run_http_server`` to wait until the generation thread has loaded the model (or died)."""
    run_http = server._run_http_server
    if getattr(run_http, "_mlxstudio_waits", False):
        return

    def _run_http_server(host: str, port: int, response_generator: Any, *args: Any, **kwargs: Any) -> Any:
        provider = response_generator.model_provider
        while provider.model is None and response_generator.generation_available():
            time.sleep(0.1)
        if provider.model is None:
            print("mlxstudio: the model could not be loaded (the traceback is above)", file=sys.stderr, flush=True)
            os._exit(2)
        return run_http(host, port, response_generator, *args, **kwargs)

    _run_http_server._mlxstudio_waits = True  # type: ignore[attr-defined]
    server._run_http_server = _run_http_server


def main(argv: list[str] | None = None) -> None:
    """Run mlx-lm's server with ``argv`` (its own options) until it is stopped."""
    args = list(sys.argv[1:] if argv is None else argv)
    parent = _pop_option(args, "--parent-pid")
    served_name = _pop_option(args, "--served-name")
    from mlxstudio.core.runtime import preload_blas

    preload_blas()
    if parent:
        threading.Thread(target=_watch_parent, args=(int(parent),), daemon=True, name="parent-watch").start()
    import mlx_lm.server as server

    alias_listed_model(server, served_name)
    tolerate_missing_hf_cache(server)
    open_when_loaded(server)
    sys.argv = ["mlx_lm.server", *args]
    server.main()


if __name__ == "__main__":
    main()
