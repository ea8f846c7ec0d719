# Two entry points for a fresh machine: `make chat` and `make test` (see README).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch (sentence-transformers needs it); any other spec pulls a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
# llama-cpp-python compiles llama.cpp (~10 min on 2 cores) for this CPU; the multimodal library is not
# needed, nor AMX: its kernels segfault on Q4_K models on some AMX machines (llama.cpp#20824; on this one
# at the first token, killing the process; tests/test_llms.py runs such a model).
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
export CMAKE_ARGS ?= -DLLAVA_BUILD=OFF "-DCMAKE_C_FLAGS=$(NO_AMX)" "-DCMAKE_CXX_FLAGS=$(NO_AMX)"

# The browser tests drive Debian's chromium through Playwright (never `playwright install`).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Scans and photos are read by Tesseract's Vietnamese model; legacy .doc files by antiword or LibreOffice,
# which the tests also use to make real .doc/.odt/.rtf/.xls files (docs/documents.md).
TESSERACT_VIE ?= /usr/share/tesseract-ocr/5/tessdata/vie.traineddata
SOFFICE ?= /usr/bin/soffice
OCR_PACKAGES := tesseract-ocr tesseract-ocr-vie
OFFICE_PACKAGES := antiword libreoffice-writer-nogui libreoffice-calc-nogui fonts-dejavu-core

.PHONY: install install-test local chat index test lint bench clean-index

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# --no-cache-dir: llama-cpp-python is compiled with CMAKE_ARGS, never taken from a wheel pip built before
$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet "$(TORCH_SPEC)"
	$(BIN)/pip install --quiet --no-cache-dir -e ".[test]"
	touch $@

# An in-process GGUF model (`--backend llamacpp:<path.gguf>`, docs/llm-backends.md)
$(VENV)/.installed-local: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet --no-cache-dir -e ".[local]"
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
local: $(VENV)/.installed-local

chat: install
	@$(MAKE) --no-print-directory $(TESSERACT_VIE) $(SOFFICE) || echo "Chưa cài được Tesseract/LibreOffice \
	(gói Debian $(OCR_PACKAGES) $(OFFICE_PACKAGES)): ảnh, bản quét và tệp .doc sẽ được báo là bỏ qua."
	$(BIN)/python app.py

$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

$(TESSERACT_VIE):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(OCR_PACKAGES)

$(SOFFICE):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(OFFICE_PACKAGES)

test: install-test $(CHROMIUM) $(TESSERACT_VIE) $(SOFFICE)
	$(BIN)/python -m pytest

# ruff (lint + format check) and mypy, configured in pyproject.toml; .ci/run runs it before the tests.
lint: install-test
	$(BIN)/ruff check
	$(BIN)/ruff format --check
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/suite.py

clean-index:
	find index -mindepth 1 ! -name .gitignore -exec rm -rf {} +
