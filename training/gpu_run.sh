#!/bin/bash
# Train on the device machine (or, for the smoke test, here): bash training/gpu_run.sh [train.py args...]
# Expects the data directory at $DATA (default .gpu/data) and Debian's libraqm/libfribidi (+ HarfBuzz and what it needs) at
# .gpu/libs, both carried in; writes checkpoints and logs to $OUT. Fails fast, before training, if Pillow
# cannot shape Devanagari (no raqm).
set -uo pipefail
cd "$(dirname "$0")/.."
: "${OUT:?OUT must be set}"
PY=${PY:-python3}
LIBS=/tmp/hindi-ocr-libs
mkdir -p "$LIBS"
# Only the libraries the machine lacks: its own glib/freetype stay in charge where present.
for f in .gpu/libs/*; do
  n=$(basename "$f")
  if ! ldconfig -p 2>/dev/null | grep -q "^\s*$n "; then cp "$f" "$LIBS/"; fi
done
echo "carried libraries used: $(ls "$LIBS" | tr '\n' ' ')"
export LD_LIBRARY_PATH="$LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PYTHONUNBUFFERED=1
RAQM_CHECK="from PIL import features, __version__ as v; import sys; ok = features.check('raqm'); print('Pillow', v, 'raqm', ok, features.version('raqm')); sys.exit(0 if ok else 3)"
if ! $PY -c "$RAQM_CHECK"; then
  # The machine's Pillow cannot load raqm: try the carried Pillow wheel (if any) before giving up.
  ls .gpu/whl/*.whl >/dev/null 2>&1 && $PY -m pip install -q --no-index --no-deps --target /tmp/site .gpu/whl/*.whl \
    && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  $PY -c "$RAQM_CHECK" || { echo "FATAL: Pillow has no raqm here; Devanagari would render wrong"; exit 3; }
fi
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
nproc
$PY training/train.py --data "${DATA:-.gpu/data}" --out "$OUT" "$@" 2>&1 | tee "$OUT/run.log"
