"""MLX Studio: fine-tune a small LLM on your own machine, without a terminal."""

__version__ = "0.1.0"
