# Two entry points for a fresh machine: `make chat` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch (sentence-transformers needs it); any other spec pulls a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
# llama-cpp-python compiles llama.cpp (~10 min on 2 cores); the multimodal library is not needed.
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF

# The browser tests drive Debian's chromium through Playwright (never `playwright install`).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install install-test chat index test bench clean-index

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

chat: install
	$(BIN)/python app.py

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

test: install-test $(CHROMIUM)
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/suite.py

clean-index:
	find index -mindepth 1 ! -name .gitignore -exec rm -rf {} +
