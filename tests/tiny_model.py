"""A tiny synthetic llama model (random weights) with a tiny byte-level BPE tokenizer and a ChatML template.

Built in a temp folder by the tests in ~1 s; loads with mlx-lm like any real model. Training/generation/fuse tests
use it so they really run mlx-lm's code without the 98 MB demo model.
"""

from __future__ import annotations

import json
from pathlib import Path

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

CORPUS = [
    "今天星期几", "星期八", "太阳什么时候升起?", "晚上八点", "忘情水是什么水", "忘情水是可以让人忘却烦恼的水",
    "蓝牙耳机坏了应该看什么科", "耳鼻喉科", "鲁迅为什么讨厌周树人", "因为他们是仇人",
    "What is the capital of France?", "The capital of France is Paris.", "hello world", "user assistant system",
    "the quick brown fox jumps over the lazy dog", "0123456789", "a b c d e f g h i j k l m n o p q r s t u v w x y z",
]

SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]


def build_tokenizer(out: Path, vocab_size: int = 320) -> int:
    """Write tokenizer.json + tokenizer_config.json into ``out``; return the vocabulary size."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(CORPUS * 4, trainer=trainer)
    tok.save(str(out / "tokenizer.json"))
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "chat_template": CHATML,
        "model_max_length": 2048,
        "clean_up_tokenization_spaces": False,
    }
    (out / "tokenizer_config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2))
    return tok.get_vocab_size()


def make_tiny_model(out: Path, seed: int = 0, hidden: int = 64, layers: int = 2) -> Path:
    """Create a complete, loadable mlx-lm model folder at ``out`` and return it."""
    import mlx.core as mx
    from mlx_lm.models import llama
    from mlx_lm.utils import save_config, save_model

    out.mkdir(parents=True, exist_ok=True)
    vocab = build_tokenizer(out)
    config = {
        "model_type": "llama",
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "intermediate_size": hidden * 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "rms_norm_eps": 1e-5,
        "vocab_size": vocab,
        "rope_theta": 10000.0,
        "tie_word_embeddings": True,
        "max_position_embeddings": 2048,
        "eos_token_id": 2,
        "bos_token_id": None,
    }
    mx.random.seed(seed)
    model = llama.Model(llama.ModelArgs.from_dict(config))
    mx.eval(model.parameters())
    save_model(out, model)
    save_config(dict(config), out / "config.json")
    return out
