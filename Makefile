# The two commands: `make run` and `make test`. Both install what is missing and are quick when nothing is.
SHELL := /bin/bash
.DEFAULT_GOAL := help

ORT_VERSION := 1.31.1
VENV := .venv
PY := $(VENV)/bin/python
CARGO ?= cargo
# The real-print training data dir (see the fine-tuning part below).
REALPRINT_DATA ?= training/cache/data-print

.PHONY: help run test setup build test-rust test-py test-browser services services-stop bench

help:
	@echo "make run    - set up what is missing, build, and start the service on http://127.0.0.1:3000"
	@echo "make test   - set up and start what the tests need, then run every test (Rust, Python, browser)"
	@echo "make bench  - Criterion benchmarks of the inference hot path"
	@echo "make bench-pytorch, bench-tesseract, bench-memory - side-by-side comparisons (docs/PERFORMANCE.md)"

# Python environment: the onnxruntime wheel whose libonnxruntime.so the engine loads (ort expects 1.31), and
# hocr-tools' `hocr-check`, which the export tests run on our hOCR.
$(VENV)/.ready: Makefile
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check onnxruntime==$(ORT_VERSION) numpy pillow pytest hocr-tools==1.1.1
	touch $@

setup: $(VENV)/.ready

build: setup
	$(CARGO) build --release -p hindi-ocr-server

run: build
	./target/release/hindi-ocr serve

# What `cargo test` builds and runs; `cli` builds the same set so it reuses that build (same features).
RUST_TESTS := --workspace --exclude hindi-ocr-py

# The storage/service tests need FerretDB and moto: their URLs come from .tools/run/services.env (written by
# `make services`); HINDI_OCR_REQUIRE_SERVICES=1 makes those tests fail, not skip, when the URLs are missing.
test-rust: setup doc-tools
	set -a; if [ -f .tools/run/services.env ]; then source .tools/run/services.env; fi; set +a; \
	HINDI_OCR_REQUIRE_SERVICES=1 $(CARGO) test $(RUST_TESTS)

# `test` runs every suite: Rust (engine parity, bundled model, documents, CLI, store/blob conformance on the
# embedded store, FerretDB and moto, the service end to end, the worker-kill test), then the Python bindings
# and the web page in Chromium. The Python and browser suites use the debug `hindi-ocr` binary that the Rust
# tests have just built (a second, release build of the server would add a quarter of an hour to CI).
test: services test-rust test-py test-browser

# The CLI/server binary the Python and browser suites run: the one `cargo test` builds for the CLI and service
# tests (`cargo build -p` would unify features differently and rebuild dependencies).
CLI_BIN := $(CURDIR)/target/debug/hindi-ocr
.PHONY: cli
cli: setup
	$(CARGO) test $(RUST_TESTS) --no-run

# Storage/service part: install (if missing) and start FerretDB and moto's S3 server on loopback.
services: setup
	.ci/services/start.sh

# Stop the test services (`make services-stop CLEAN=1` also deletes FerretDB's data).
services-stop:
	.ci/services/stop.sh $(if $(CLEAN),--clean)

# Python bindings part (docs/PYTHON.md): a fresh venv, `pip install ./hindi-ocr-py[test]` (maturin builds the
# extension into the shared target/), the CLI the tests compare against, then pytest, the stub check and the
# README/docs examples (run by the pytest suite).
VENV_PY := .venv-py
PYP := $(VENV_PY)/bin/python

test-py: cli doc-tools ocrmypdf-tools
	python3 -m venv --clear $(VENV_PY)
	$(PYP) -m pip install -q --disable-pip-version-check "./hindi-ocr-py[test]"
	cd hindi-ocr-py && HINDI_OCR_CLI=$(CLI_BIN) $(CURDIR)/$(PYP) -m pytest -q tests
	cd hindi-ocr-py && $(CURDIR)/$(PYP) -m mypy.stubtest --allowlist stubtest-allowlist.txt hindi_ocr

# Web page part (docs/WEB.md): the page in a real Chromium, driven by playwright-core, against a real
# `hindi-ocr serve` (the debug build from `cargo test`, bundled model) that the test harness starts on a free port with a
# temporary data directory and stops afterwards.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
BROWSER_DIR := tests/browser

$(BROWSER_DIR)/node_modules/.ready: $(BROWSER_DIR)/package-lock.json
	cd $(BROWSER_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: chromium
chromium:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium; }

test-browser: cli chromium $(BROWSER_DIR)/node_modules/.ready
	cd $(BROWSER_DIR) && HINDI_OCR_BIN=$(CLI_BIN) CHROMIUM=$$(command -v chromium) npm test

# Documents part (docs/DOCUMENTS.md): the export tests check the searchable PDF with `pdftotext` (poppler-utils)
# and hOCR/ALTO with `xmllint` (libxml2-utils).
.PHONY: doc-tools
doc-tools:
	@command -v pdftotext >/dev/null && command -v xmllint >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends poppler-utils libxml2-utils; }

# The OCRmyPDF plugin tests run the real `ocrmypdf`, which makes its default PDF/A output with Ghostscript;
# they read the text layer with `pdftotext`/`pdftoppm` and validate the OCR-D processor's PAGE XML with `xmllint`
# (doc-tools). OCRmyPDF and OCR-D core themselves come with the Python package's `test` extra.
.PHONY: ocrmypdf-tools
ocrmypdf-tools:
	@command -v gs >/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends ghostscript; }

bench: setup
	$(CARGO) bench --bench engine

# Side-by-side comparisons (docs/PERFORMANCE.md): peak memory over a 50-page PDF, and speed/CER against
# Tesseract 5.3 `hin` (Debian packages) through the Python bindings' venv (`make test-py` creates it).
# The PyTorch comparison runs the shipped weights (recovered from the fp32 export) in the training environment.
.PHONY: bench-memory bench-tesseract bench-pytorch
bench-memory: cli
	$(PY) benches/pdf_memory.py --bin $(CLI_BIN) --pages 1,10,25,50

bench-tesseract:
	@command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx hin || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends tesseract-ocr tesseract-ocr-hin; }
	test -x $(PYP) || $(MAKE) test-py
	$(PYP) benches/compare_tesseract.py --n 40 --rounds 5

bench-pytorch: training-env
	test -x $(PYP) || $(MAKE) test-py
	$(PYT) benches/compare_pytorch.py --n 40 --threads 1 --rounds 5

# Real print (docs/MODEL.md): CER per source on ../shared/eval/real-dev beside Tesseract on the same files;
# non-text crops read as nothing (bar: 95 %); confidence against how often a line is right.
.PHONY: bench-real-print bench-nontext bench-calibration
bench-real-print: build
	@command -v tesseract >/dev/null && tesseract --list-langs 2>/dev/null | grep -qx hin || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends tesseract-ocr tesseract-ocr-hin; }
	python3 benches/real_print.py

bench-nontext: build
	$(PY) benches/nontext.py

bench-calibration: build training-env $(REALPRINT_DATA)/coverage.json
	$(PYT) benches/calibration.py --data $(REALPRINT_DATA)

# ---- Model training part (training/; see training/README.md) ----
# A separate, heavy environment (torch + transformers + Optimum); `make test` does not need it.
VENV_TRAIN := .venv-train
PYT := $(VENV_TRAIN)/bin/python

$(VENV_TRAIN)/.ready:
	test -x $(PYT) || python3 -m venv $(VENV_TRAIN)
	$(PYT) -m pip install -q --disable-pip-version-check torch "transformers==4.57.6" optimum-onnx onnx \
		onnxruntime==$(ORT_VERSION) tokenizers pillow numpy wordfreq fonttools
	$(PYT) -c "import torch, transformers, optimum, onnx, onnxruntime, tokenizers, PIL, numpy, wordfreq, fontTools; print('training-env ok', torch.__version__, transformers.__version__)"
	touch $@

.PHONY: training-env training-apt train-data train export-model eval-model
training-env: $(VENV_TRAIN)/.ready

# Debian packages the pipeline reads: fonts, HarfBuzz shaping for Pillow (raqm), and the Hindi text sources.
TRAIN_APT := fonts-deva fonts-noto-core libraqm0 libfribidi0 hunspell-hi libreoffice-help-hi
training-apt:
	@dpkg -s $(TRAIN_APT) >/dev/null 2>&1 || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(TRAIN_APT))

# `make train` reproduces models/hindi-trocr (int8) and models/hindi-trocr-fp32 from nothing:
# corpus -> tokenizer -> data dir -> train -> export.
# Training uses CUDA when present, else the CPU (far too slow for the shipped quality: see training/README.md).
# The shipped model: TRAIN_MINUTES=8.7 on one H200 (the device tool), data dir carried as .gpu/data.
TRAIN_DATA ?= .gpu/data
TRAIN_OUT ?= training/out/run
TRAIN_MINUTES ?= 8.7
TRAIN_ARGS ?= --workers $$(( $$(nproc) > 2 ? $$(nproc) - 2 : 1 ))
MODEL_OUT ?= models/hindi-trocr
MODEL_OUT_FP32 ?= models/hindi-trocr-fp32
train-data: training-env training-apt
	mkdir -p training/cache
	$(PYT) training/corpus.py training/cache/corpus.txt --lines 400000 --seed 1234
	$(PYT) training/tokenizer.py training/cache/corpus.txt training/cache/tokenizer.json
	$(PYT) training/prepare_data.py training/cache/corpus.txt training/cache/tokenizer.json $(TRAIN_DATA)

train: train-data
	mkdir -p $(TRAIN_OUT)
	OUT=$(TRAIN_OUT) PY=$(PYT) DATA=$(TRAIN_DATA) bash training/gpu_run.sh --minutes $(TRAIN_MINUTES) $(TRAIN_ARGS)
	$(MAKE) export-model

# The checkpoint in TRAIN_OUT -> the fp32 export (MODEL_OUT_FP32) and the int8 default (MODEL_OUT), both scored.
export-model: training-env
	$(PYT) training/export.py --ckpt $(TRAIN_OUT) --data $(TRAIN_DATA) --out $(MODEL_OUT_FP32)
	$(PYT) training/export.py --ckpt $(TRAIN_OUT) --data $(TRAIN_DATA) --out $(MODEL_OUT) --int8
	$(MAKE) eval-model MODEL_OUT=$(MODEL_OUT_FP32)
	$(MAKE) eval-model MODEL_OUT=$(MODEL_OUT)

# The reproduction check: train from nothing into REPRO_OUT (the shipped model is not touched), export, and
# compare dev CER with the shipped model (fails above +1 CER point). `repro-check` does the last two steps for a
# checkpoint trained elsewhere (the device machine: training/README.md), e.g. `make repro-check REPRO_CKPT=dir`.
REPRO_OUT ?= training/out/repro
REPRO_CKPT ?= $(REPRO_OUT)/ckpt
REPRO_MODELS = MODEL_OUT=$(REPRO_OUT)/hindi-trocr MODEL_OUT_FP32=$(REPRO_OUT)/hindi-trocr-fp32
.PHONY: train-repro repro-check repro-compare
train-repro:
	$(MAKE) train TRAIN_OUT=$(REPRO_CKPT) $(REPRO_MODELS)
	$(MAKE) repro-compare

repro-check: training-env
	$(MAKE) export-model TRAIN_OUT=$(REPRO_CKPT) $(REPRO_MODELS)
	$(MAKE) repro-compare

repro-compare: training-env
	$(PYT) training/repro_check.py $(REPRO_OUT)/hindi-trocr --against models/hindi-trocr --max-diff 1.0

# Dev-set CER/WER of the exported model through Python ONNX Runtime (the engine's own run: hindi-ocr ocr).
DEV ?= ../shared/eval/dev
eval-model: training-env
	$(PYT) training/evaluate.py $(MODEL_OUT) --tsv $(DEV)/lines.tsv --root $(DEV) --pred training/out/dev_pred.tsv
	python3 $(DEV)/../score.py $(DEV)/lines.tsv training/out/dev_pred.tsv

# ---- Real-print fine-tuning (training/README.md "Real print") ----
# The data dir: the corpus, the shipped tokenizer grown by the signs of older print (extend_tokenizer.py), the
# Debian fonts plus book faces from the npm registry (fetch_fonts.py). `make finetune-realprint` continues from
# the newest checkpoint committed under training/checkpoints/realprint (or, without one, from the shipped
# weights) for FINETUNE_MINUTES on the CPU, then exports and scores it into training/out/realprint.
REALPRINT_CKPT := training/checkpoints/realprint
FINETUNE_MINUTES ?= 85
.PHONY: finetune-realprint export-realprint
$(REALPRINT_DATA)/coverage.json: | training-env training-apt
	mkdir -p training/cache
	test -f training/cache/corpus.txt || $(PYT) training/corpus.py training/cache/corpus.txt --lines 400000 --seed 1234
	$(PYT) training/extend_tokenizer.py models/hindi-trocr-fp32/tokenizer.json training/cache/tokenizer-print.json
	$(PYT) training/fetch_fonts.py training/cache/extra-fonts
	$(PYT) training/prepare_data.py training/cache/corpus.txt training/cache/tokenizer-print.json $(REALPRINT_DATA) training/cache/extra-fonts

finetune-realprint: $(REALPRINT_DATA)/coverage.json
	if [ -f $(REALPRINT_CKPT)/ckpt_meta.json ]; then rm -rf training/cache/ft-resume && cp -r $(REALPRINT_CKPT) training/cache/ft-resume; \
	else $(PYT) training/onnx_to_ckpt.py models/hindi-trocr-fp32 --out training/cache/ft-resume; fi
	nice -n 10 $(PYT) training/train.py --data $(REALPRINT_DATA) --out $(REALPRINT_CKPT) --resume training/cache/ft-resume \
		--device cpu --minutes $(FINETUNE_MINUTES) --batch 16 --workers 1 --threads 2 --lr 1e-4 --warmup 20 --ctc-weight 0 \
		--real-print 0.5 --nontext 0.06 --freeze-bn --freeze-cnn --ckpt-every 600 --val-every 100000 --val-n 48 --max-reuse 1
	$(MAKE) export-realprint

export-realprint: training-env
	$(PYT) training/export.py --ckpt $(REALPRINT_CKPT) --data $(REALPRINT_DATA) --out training/out/realprint/hindi-trocr-fp32
	$(PYT) training/export.py --ckpt $(REALPRINT_CKPT) --data $(REALPRINT_DATA) --out training/out/realprint/hindi-trocr --int8
	$(MAKE) eval-model MODEL_OUT=training/out/realprint/hindi-trocr

# ---- Parity fixtures (training/make_parity_models.py; see training/README.md "Parity fixtures") ----
# Rebuilds hindi-ocr-core/tests/fixtures/parity/{small,indic}: tiny random-weight TrOCR models exported with
# Optimum, plus the Hugging Face processor's pixel values and generate()'s token ids. Deterministic.
.PHONY: parity-fixtures
parity-fixtures: $(VENV_TRAIN)/.ready
	$(PYT) training/make_parity_models.py
