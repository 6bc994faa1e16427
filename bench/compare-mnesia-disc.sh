#!/usr/bin/env bash
# Runs Mnesia's reference benchmarks on disc (disc_copies and disc_only_copies meter, TPC-B on
# disc_copies, the 1M-record bulk load) and Mneme's counterparts, back to back on this machine.
#   bench/compare-mnesia-disc.sh [OUTDIR]      default OUTDIR: .bench-out/disc-<date>
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ANCHORS="${ANCHORS:-$ROOT/../shared/anchors}"
OUT="${1:-$ROOT/.bench-out/disc-$(date -u +%Y%m%dT%H%M%SZ)}"
mkdir -p "$OUT"
# shellcheck source=bench/env-header.sh
source "$ROOT/bench/env-header.sh"
write_env
echo "mnesia meter (disc)..." >&2
METER_STORAGES="disc_copies,disc_only_copies" "$ANCHORS/mnesia/run-meter.sh" > "$OUT/mnesia-meter.jsonl" 2> "$OUT/mnesia-meter.log"
echo "mneme meter (disc)..." >&2
(cd "$ROOT" && METER_STORAGES=disc_copies,disc_only_copies npm run --silent bench -- meter) > "$OUT/mneme-meter.jsonl" 2> "$OUT/mneme-meter.log"
echo "raw lmdb-js..." >&2
(cd "$ROOT" && npm run --silent bench -- lmdb) > "$OUT/lmdb-meter.jsonl" 2> "$OUT/lmdb-meter.log"
echo "mnesia tpcb (disc)..." >&2
PHASES=disc "$ANCHORS/mnesia/run-tpcb.sh" > "$OUT/mnesia-tpcb.jsonl" 2> "$OUT/mnesia-tpcb.log"
echo "mneme tpcb (disc)..." >&2
(cd "$ROOT" && TPCB_STORAGE=disc npm run --silent bench -- tpcb) > "$OUT/mneme-tpcb.jsonl" 2> "$OUT/mneme-tpcb.log"
echo "mnesia bulk..." >&2
"$ANCHORS/mnesia/run-bulk.sh" > "$OUT/mnesia-bulk.jsonl" 2> "$OUT/mnesia-bulk.log"
echo "mneme bulk..." >&2
(cd "$ROOT" && npm run --silent bench -- bulk) > "$OUT/mneme-bulk.jsonl" 2> "$OUT/mneme-bulk.log"
node "$ANCHORS/tools/table.mjs" "$OUT"/*meter.jsonl "$OUT"/*tpcb.jsonl > "$OUT/tables.md" || true
echo "tables in $OUT/tables.md" >&2
