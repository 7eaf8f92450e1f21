#!/usr/bin/env bash
# `make test`: the whole suite on the embedded defaults (SQLite, in-memory layer), then the
# tests marked `pg` again on PostgreSQL + Redis started by scripts/services.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-chromium.sh
.venv/bin/pytest "$@"
