"""Using a (tuned) model: streaming generation (:mod:`.generate`), adapters and fusing them into the model
(:mod:`.adapters`, :mod:`.fuse`), batch evaluation (:mod:`.evaluate`) and exports (:mod:`.export`).
"""

from mlxstudio.core.inference.adapters import ADAPTER_CONFIG, ADAPTER_WEIGHTS, check_adapter_matches
from mlxstudio.core.inference.evaluate import EvalResult, EvalRow, diff_segments, evaluate, export_results, load_cases
from mlxstudio.core.inference.export import check_gguf_exportable
from mlxstudio.core.inference.fuse import find_fused_models, fuse_adapter
from mlxstudio.core.inference.generate import Generator, template_supports_thinking

__all__ = [
    "ADAPTER_CONFIG", "ADAPTER_WEIGHTS", "EvalResult", "EvalRow", "Generator", "check_adapter_matches",
    "check_gguf_exportable", "diff_segments", "evaluate", "export_results", "find_fused_models", "fuse_adapter",
    "load_cases", "template_supports_thinking",
]
