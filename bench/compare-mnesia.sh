#!/usr/bin/env bash
# Runs Mnesia's reference benchmarks (../shared/anchors, ram_copies only) and Mneme's, back to back
# on this machine, then prints the side-by-side tables. Needs Erlang with mnesia (see the anchors'
# README: apt-get install erlang-base erlang-mnesia erlang-dev erlang-examples).
#   bench/compare-mnesia.sh [OUTDIR]      default OUTDIR: .bench-out/<date>
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ANCHORS="${ANCHORS:-$ROOT/../shared/anchors}"
OUT="${1:-$ROOT/.bench-out/$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
# shellcheck source=bench/env-header.sh
source "$ROOT/bench/env-header.sh"
write_env
echo "mnesia meter..." >&2
METER_STORAGES=ram_copies "$ANCHORS/mnesia/run-meter.sh" > "$OUT/mnesia-meter.jsonl" 2> "$OUT/mnesia-meter.log"
echo "mneme meter..." >&2
(cd "$ROOT" && npm run --silent bench -- meter) > "$OUT/mneme-meter.jsonl" 2> "$OUT/mneme-meter.log"
echo "mnesia tpcb..." >&2
PHASES=ram "$ANCHORS/mnesia/run-tpcb.sh" > "$OUT/mnesia-tpcb.jsonl" 2> "$OUT/mnesia-tpcb.log"
echo "mneme tpcb..." >&2
(cd "$ROOT" && npm run --silent bench -- tpcb) > "$OUT/mneme-tpcb.jsonl" 2> "$OUT/mneme-tpcb.log"
node "$ANCHORS/tools/table.mjs" "$OUT"/*.jsonl > "$OUT/tables.md"
echo "tables in $OUT/tables.md" >&2
