"""The backend loads OpenBLAS before MLX on Linux and reports what it runs on."""

import subprocess
import sys

from mlxstudio.core.runtime import backend, blas


def test_detect_reports_backend() -> None:
    info = backend.detect()
    assert info.name in {"CPU", "Metal", "CUDA"}
    if info.name == "CPU":
        assert info.train_dtype == "float32" and not info.keep_quantized_for_training
        assert "CPU" in info.summary()


def test_openblas_loaded_before_mlx_in_a_fresh_process() -> None:
    code = ("from mlxstudio.core.runtime import blas; from mlxstudio.core.runtime.mlxrt import mx; "
            "print(blas.blas_status())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    if sys.platform == "linux" and blas.find_openblas():
        assert out.startswith("OpenBLAS on")


def test_blas_can_be_switched_off() -> None:
    code = ("from mlxstudio.core.runtime import blas; from mlxstudio.core.runtime.mlxrt import mx; "
            "print(blas.blas_status())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "MLXSTUDIO_BLAS": "off"}).stdout
    assert "off" in out


def test_cuda_wheel_is_recognised_without_importing_mlx(monkeypatch) -> None:
    """mlx-cuda-13 puts its libraries inside ``mlx/`` (no module of its own): the guess asks for the distribution."""
    import importlib.metadata

    real = importlib.metadata.distribution

    def fake(name: str):  # type: ignore[no-untyped-def]
        if name == "mlx-cuda-13":
            return real("mlx")
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(backend.sys, "platform", "linux")
    monkeypatch.setattr(importlib.metadata, "distribution", fake)
    assert backend.guess_backend_name() == "CUDA"
    info = backend.BackendInfo("CUDA", "", "bfloat16", True, "CUDA: QLoRA on quantized models.")
    assert info.summary() == "CUDA"
