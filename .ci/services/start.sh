#!/usr/bin/env bash
# Installs (if missing) and starts the test services on loopback, then writes their URLs to
# .tools/run/services.env (sourced by `make test-rust`):
#   - FerretDB v1.24 (MongoDB protocol, SQLite back end), built from the Go module proxy;
#   - moto's S3 server, installed into the project's .venv.
# Idempotent and quick when both already run. `stop.sh` stops them. See docs/STORAGE.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
RUN="$TOOLS/run"
VENV="$ROOT/.venv"
FERRETDB_VERSION=v1.24.0
MOTO_SPEC='moto[server]>=5,<6'
FERRETDB_PORT=${HINDI_OCR_FERRETDB_PORT:-27017}
MOTO_PORT=${HINDI_OCR_MOTO_PORT:-5000}
mkdir -p "$BIN" "$RUN"

log() { echo "services: $*"; }

# True when something accepts TCP connections on 127.0.0.1:$1.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True when the pid in file $1 is a live process.
pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Waits up to $2 seconds for port $1; on timeout prints the log $3 and fails.
wait_port() {
    local port=$1 secs=$2 logfile=$3 i
    for ((i = 0; i < secs * 10; i++)); do
        port_open "$port" && return 0
        sleep 0.1
    done
    log "nothing answers on 127.0.0.1:$port after ${secs}s; last lines of $logfile:" >&2
    tail -n 30 "$logfile" >&2 || true
    return 1
}

# First free port at or after $1.
free_port() {
    local p=$1
    while port_open "$p"; do p=$((p + 1)); done
    echo "$p"
}

# ---- FerretDB ----
install_ferretdb() {
    if [[ -x "$BIN/ferretdb" ]] && "$BIN/ferretdb" --version 2>/dev/null | grep -q "version: $FERRETDB_VERSION"; then
        return 0
    fi
    command -v go >/dev/null || { log "go is needed to build FerretDB (https://go.dev/dl/)" >&2; exit 1; }
    log "building FerretDB $FERRETDB_VERSION from the Go module proxy (a few minutes, once)"
    # `go install ...@version` builds a binary that panics at start: the module lacks the generated
    # build/version/version.txt. So: fetch the module, copy it, write that file, build the copy.
    local dir src="$TOOLS/src/ferretdb"
    dir=$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
    [[ -d "$dir" ]] || { log "go mod download of FerretDB failed" >&2; exit 1; }
    rm -rf "$src"
    mkdir -p "$(dirname "$src")"
    cp -r "$dir" "$src"
    chmod -R u+w "$src"
    echo "$FERRETDB_VERSION" >"$src/build/version/version.txt"
    (cd "$src" && go build -buildvcs=false -o "$BIN/ferretdb" ./cmd/ferretdb)
}

start_ferretdb() {
    local pidfile="$RUN/ferretdb.pid" logfile="$RUN/ferretdb.log" port
    if pid_alive "$pidfile" && [[ -f "$RUN/ferretdb.port" ]] && port_open "$(cat "$RUN/ferretdb.port")"; then
        FERRETDB_PORT=$(cat "$RUN/ferretdb.port")
        log "FerretDB already running on 127.0.0.1:$FERRETDB_PORT"
        return 0
    fi
    install_ferretdb
    port=$(free_port "$FERRETDB_PORT")
    mkdir -p "$RUN/ferretdb-data" "$RUN/ferretdb-state"
    nohup "$BIN/ferretdb" --handler=sqlite --sqlite-url="file:$RUN/ferretdb-data/" \
        --listen-addr="127.0.0.1:$port" --state-dir="$RUN/ferretdb-state" --debug-addr=- \
        --telemetry=disable --log-level=warn >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    echo "$port" >"$RUN/ferretdb.port"
    wait_port "$port" 30 "$logfile"
    FERRETDB_PORT=$port
    log "FerretDB $FERRETDB_VERSION started on 127.0.0.1:$port (pid $(cat "$pidfile"), log $logfile)"
}

# ---- moto (S3) ----
install_moto() {
    [[ -x "$VENV/bin/moto_server" ]] && return 0
    [[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
    log "installing $MOTO_SPEC into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$MOTO_SPEC"
}

start_moto() {
    local pidfile="$RUN/moto.pid" logfile="$RUN/moto.log" port
    if pid_alive "$pidfile" && [[ -f "$RUN/moto.port" ]] && port_open "$(cat "$RUN/moto.port")"; then
        MOTO_PORT=$(cat "$RUN/moto.port")
        log "moto S3 already running on 127.0.0.1:$MOTO_PORT"
        return 0
    fi
    install_moto
    port=$(free_port "$MOTO_PORT")
    nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
    echo $! >"$pidfile"
    echo "$port" >"$RUN/moto.port"
    wait_port "$port" 60 "$logfile"
    MOTO_PORT=$port
    log "moto S3 started on 127.0.0.1:$port (pid $(cat "$pidfile"), log $logfile)"
}

start_ferretdb
start_moto

cat >"$RUN/services.env" <<EOF
# Written by .ci/services/start.sh; sourced by \`make test-rust\`.
HINDI_OCR_TEST_MONGODB_URL=mongodb://127.0.0.1:$FERRETDB_PORT/
HINDI_OCR_TEST_S3_ENDPOINT=http://127.0.0.1:$MOTO_PORT
EOF
log "URLs in $RUN/services.env"
