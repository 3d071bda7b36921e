"""GGUF import of every common tensor type (K-quants, Q5_*, BF16…, mixed in one file) for llama, qwen2, qwen3 and
gemma3: next-token log-probs of the imported folder (loaded by mlx-lm) match the reference model built from the
exact weights the file holds, for each output format (float16/bfloat16 kept, re-quantized to MLX 8/4-bit)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from gguf_factory import any_logits, write_any_gguf

from mlxstudio.core.errors import ModelError
from mlxstudio.core.events import Progress
from mlxstudio.core.models.gguf.dequant import resolve_format
from mlxstudio.core.models.gguf.importer import import_gguf

PROBE = [5, 17, 42, 99, 150, 200, 7, 3]
ALL_TYPES = ("Q4_K", "Q6_K", "Q5_K", "Q3_K", "Q2_K", "Q5_0", "Q5_1", "Q4_0", "Q4_1", "Q8_0", "BF16", "F16", "F32")


def _imported_logprobs(folder: Path) -> np.ndarray:
    from mlx_lm import load

    from mlxstudio.core.runtime.mlxrt import mx

    model, _tok = load(str(folder))
    model.set_dtype(mx.float32)  # compare the stored weights, not float16 arithmetic
    logits = model(mx.array([PROBE]))[0].astype(mx.float32)
    return np.array(logits - mx.logsumexp(logits, axis=-1, keepdims=True))


@pytest.mark.parametrize("arch", ["llama", "qwen2", "qwen3", "gemma3", "gemma2", "phi3"])
def test_mixed_types_file_matches_reference(tmp_path: Path, arch: str) -> None:
    src = tmp_path / f"{arch}-mixed.gguf"
    reference, cfg = write_any_gguf(src, arch, ALL_TYPES, tied=arch != "qwen2")
    events: list[Progress] = []
    out = import_gguf(src, dest_root=tmp_path / "lib", weight_format="float16",
                      sink=lambda e: events.append(e) if isinstance(e, Progress) else None)
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == cfg["model_type"] and "quantization" not in config
    got = _imported_logprobs(out)
    want = any_logits(reference, cfg, PROBE)
    # float16 storage of the dequantized weights: ~1e-3 relative error per weight
    err = np.abs(got - want)
    print(f"{arch}: max |Δ log-prob| {err.max():.4f}, mean {err.mean():.5f}")
    assert err.max() < 5e-2, err.max()
    assert np.array_equal(got.argmax(-1), want.argmax(-1))
    assert any("dequantizing" in e.message for e in events)
    meta = json.loads((out / "mlxstudio.json").read_text())
    assert {"Q4_K", "Q6_K", "Q2_K"} <= set(meta["gguf_types"])


@pytest.mark.parametrize(("fmt", "tol"), [("bfloat16", 2e-1), ("q8", 5e-1), ("q4", 3.0)])
def test_output_formats(tmp_path: Path, fmt: str, tol: float) -> None:
    src = tmp_path / "llama-k.gguf"
    reference, cfg = write_any_gguf(src, "llama", ("Q4_K", "Q6_K"))
    out = import_gguf(src, dest_root=tmp_path / "lib", weight_format=fmt)
    config = json.loads((out / "config.json").read_text())
    if fmt.startswith("q"):
        assert config["quantization"] == {"group_size": 32, "bits": int(fmt[1])}
    got = _imported_logprobs(out)
    want = any_logits(reference, cfg, PROBE)
    err = np.abs(got - want)
    print(f"{fmt}: max |Δ log-prob| {err.max():.3f}, mean {err.mean():.4f}")
    assert err.max() < tol and err.mean() < tol / 10, (err.max(), err.mean())


def test_auto_format_per_backend() -> None:
    assert resolve_format("auto", {"Q4_1", "Q8_0", "F32"}) == "keep"  # the demo file: MLX quants kept exactly
    assert resolve_format("auto", {"Q4_K", "Q6_K", "F32"}, backend_gpu=True) == "q4"
    assert resolve_format("auto", {"Q4_K", "Q6_K", "F32"}, backend_gpu=False) == "float16"
    with pytest.raises(ValueError, match="q4"):
        resolve_format("q3", set())


def test_unknown_architecture_names_types(tmp_path: Path) -> None:
    import gguf

    src = tmp_path / "falcon.gguf"
    w = gguf.GGUFWriter(str(src), "falcon")
    w.add_tensor("token_embd.weight", np.zeros((4, 32), np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    with pytest.raises(ModelError, match=r"'falcon'.*F16.*llama") as exc:
        import_gguf(src, dest_root=tmp_path / "lib")
    assert "hub" in str(exc.value)


def test_cancel_during_dequantization_leaves_nothing(tmp_path: Path) -> None:
    from mlxstudio.core import errors

    src = tmp_path / "llama-k.gguf"
    write_any_gguf(src, "llama", ("Q4_K",))
    seen: list[str] = []

    def cancel() -> bool:  # cancelled once the tensor-by-tensor reading has begun
        return any("dequantizing tensor" in m for m in seen)

    with pytest.raises(errors.Cancelled):
        import_gguf(src, dest_root=tmp_path / "lib", weight_format="q4", cancel=cancel,
                    sink=lambda e: seen.append(e.message) if isinstance(e, Progress) else None)
    assert not list((tmp_path / "lib").iterdir())


def test_gemma3_exact_types_kept_quantized(tmp_path: Path) -> None:
    src = tmp_path / "gemma3-q8.gguf"
    reference, cfg = write_any_gguf(src, "gemma3", ("Q8_0", "Q4_0"))
    out = import_gguf(src, dest_root=tmp_path / "lib")  # auto: mx.load keeps Q8_0/Q4_0 as MLX quants
    config = json.loads((out / "config.json").read_text())
    assert config["quantization"]["group_size"] == 32
    err = np.abs(_imported_logprobs(out) - any_logits(reference, cfg, PROBE))
    assert err.max() < 5e-2, err.max()  # the norms' +1 undone on this path too


def test_cli_weights_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mlxstudio.cli import main

    src = tmp_path / "tiny-Q4_K_M.gguf"
    write_any_gguf(src, "qwen3", ("Q4_K", "Q6_K"))
    assert main(["--quiet", "import-gguf", str(src), "--out", str(tmp_path / "m"), "--weights", "q8"]) == 0
    assert capsys.readouterr().out.strip() == str(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "config.json").read_text())["quantization"]["bits"] == 8
    with pytest.raises(SystemExit):
        main(["import-gguf", str(src), "--weights", "q3"])
    assert "invalid choice: 'q3'" in capsys.readouterr().err
