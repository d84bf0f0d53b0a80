#!/usr/bin/env bash
# Stops the test services started by start.sh (by their pid files) and removes services.env.
# `--clean` also deletes FerretDB's data directory.
set -euo pipefail

RUN="$(cd "$(dirname "$0")/../.." && pwd)/.tools/run"

for name in ferretdb moto; do
    pidfile="$RUN/$name.pid"
    if [[ -f "$pidfile" ]]; then
        pid=$(cat "$pidfile")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid"
            echo "services: stopped $name (pid $pid)"
        fi
        rm -f "$pidfile" "$RUN/$name.port"
    fi
done
rm -f "$RUN/services.env"
if [[ "${1:-}" == "--clean" ]]; then
    rm -rf "$RUN/ferretdb-data" "$RUN/ferretdb-state"
    echo "services: FerretDB data removed"
fi
