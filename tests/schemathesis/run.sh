#!/usr/bin/env bash
# API contract test: schemathesis, every check, against the OpenAPI document a real `hindi-ocr serve` serves
# (`/api/openapi.json`), signed in as a fresh user. Fails on any failure: the document must say exactly what
# the API does. Bounded: few examples per operation and a hard time limit.
#
#   tests/schemathesis/run.sh [SCHEMATHESIS OPTIONS...]
#
# Environment: HINDI_OCR_CLI (default target/debug/hindi-ocr, built by `make cli`), SCHEMATHESIS_MAX_EXAMPLES
# (per operation, default 25), SCHEMATHESIS_TIMEOUT (seconds, default 300).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${HINDI_OCR_CLI:-$ROOT/target/debug/hindi-ocr}
VERSION=4.32.5
VENV=$ROOT/.tools/schemathesis-$VERSION
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-25}
LIMIT=${SCHEMATHESIS_TIMEOUT:-300}

if [ ! -x "$VENV/bin/schemathesis" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$VERSION"
fi
[ -x "$BIN" ] || { echo "no $BIN: run 'make cli' first" >&2; exit 1; }

DATA=$(mktemp -d)
LOG=$DATA/serve.log
SERVER=
cleanup() {
    if [ -n "$SERVER" ]; then
        kill "$SERVER" 2>/dev/null || true
        wait "$SERVER" 2>/dev/null || true
    fi
    rm -rf "$DATA"
}
trap cleanup EXIT

# A free loopback port (port 0, printed at start), a temporary data dir, the bundled model. The login limits
# are raised: schemathesis sends hundreds of logins, and a 429 would stop it reaching the other answers.
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$DATA/data" --workers 1 \
    --login-limit-account 1000000 --login-limit-ip 1000000 >"$LOG" 2>&1 &
SERVER=$!
URL=
for _ in $(seq 1 600); do
    URL=$(sed -n 's/^hindi-ocr listening on \(http:[^ ]*\).*/\1/p' "$LOG" | head -n 1)
    [ -n "$URL" ] && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$LOG" >&2; exit 1; }
    sleep 0.1
done
[ -n "$URL" ] || { echo "the server did not start:" >&2; cat "$LOG" >&2; exit 1; }


# Each run is signed in as its own fresh user.
signup() {
    "$VENV/bin/python" - "$URL" "$1" <<'PY'
import json, sys, urllib.request
body = json.dumps({"email": sys.argv[2], "password": "contract-pass-1"}).encode()
req = urllib.request.Request(sys.argv[1] + "/api/auth/signup", data=body, headers={"Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(req))["token"])
PY
}

st() {
    local token=$1
    shift
    # `timeout` ends schemathesis if it runs past the limit (exit 124: a failure).
    timeout --signal=INT --kill-after=10 "$LIMIT" "$VENV/bin/schemathesis" run "$URL/api/openapi.json" \
        --checks all --max-examples "$MAX_EXAMPLES" --header "Authorization: Bearer $token" \
        --request-timeout 30 --no-color "$@"
}

status=0
# Logout revokes the token it is called with, and every later call with that token is a 401: it runs on
# its own, after the rest.
st "$(signup contract@example.com)" --exclude-path /api/auth/logout "$@" || status=$?
st "$(signup logout@example.com)" --include-path /api/auth/logout "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "schemathesis failed (exit $status); server log: $LOG" >&2
    tail -n 50 "$LOG" >&2
fi
exit "$status"
