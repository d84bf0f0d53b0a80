# The two commands: `make run` and `make test`. Both install what is missing and are quick when nothing is.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ORT_VERSION := 1.31.1
VENV := .venv
PY := $(VENV)/bin/python
CARGO ?= cargo

.PHONY: help run test setup build test-rust test-py test-browser services bench

help:
	@echo "make run    - set up what is missing, build, and start the service on http://127.0.0.1:3000"
	@echo "make test   - set up and start what the tests need, then run every test (Rust, Python, browser)"
	@echo "make bench  - Criterion benchmarks of the inference hot path"

# Python environment: the onnxruntime wheel whose libonnxruntime.so the engine loads (ort expects 1.31).
$(VENV)/.ready: Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check onnxruntime==$(ORT_VERSION) numpy pillow pytest
	touch $@

setup: $(VENV)/.ready

build: setup
	$(CARGO) build --release -p hindi-ocr-server

run: build
	./target/release/hindi-ocr serve

test-rust: setup
	$(CARGO) test --workspace --exclude hindi-ocr-py

# Each part owns its target below; `test` runs them all.
test: services test-rust test-py test-browser

# Storage/service part: install (if missing) and start FerretDB and moto's S3 server on loopback.
services: setup
	@echo "services: (not yet)"

# Python bindings part.
test-py: setup
	@echo "test-py: (not yet)"

# Web page part: Chromium + playwright-core browser tests.
test-browser: setup
	@echo "test-browser: (not yet)"

bench: setup
	$(CARGO) bench --bench engine

# ---- Model training part (training/; see training/README.md) ----
# A separate, heavy environment (torch + transformers + Optimum); `make test` does not need it.
VENV_TRAIN := .venv-train
PYT := $(VENV_TRAIN)/bin/python

$(VENV_TRAIN)/.ready:
	test -x $(PYT) || python3 -m venv $(VENV_TRAIN)
	$(PYT) -m pip install -q --disable-pip-version-check torch "transformers==4.57.6" optimum-onnx onnx \
		onnxruntime==$(ORT_VERSION) tokenizers pillow numpy wordfreq
	$(PYT) -c "import torch, transformers, optimum, onnx, onnxruntime, tokenizers, PIL, numpy, wordfreq; print('training-env ok', torch.__version__, transformers.__version__)"
	touch $@

.PHONY: training-env train eval-model
training-env: $(VENV_TRAIN)/.ready
