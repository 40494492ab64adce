#!/usr/bin/env bash
# kafkajs_groups.sh — kafkajs 2.2.4's group Consumer against the broker
# (tests/js/kafkajs_groups.mjs: one consumer, then two splitting a topic,
# commits, admin.fetchOffsets), then kcat -G in the same group afterwards:
# it must resume after kafkajs's commits and read nothing old. Needs Node.js,
# tests/js/node_modules (`make deps`) and kcat; when they are missing this
# FAILS, saying so: it never skips.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/js.bash"

sl_js_require 14.0.0 kafkajs     # kafkajs 2.2.4 needs Node.js >= 14
if command -v kcat >/dev/null; then KCAT=kcat
elif command -v kafkacat >/dev/null; then KCAT=kafkacat
else fail "neither kcat nor kafkacat is installed (make deps installs the Debian package kcat)"; fi

sl_broker_start "$SL_TMP/data" --override group.initial.rebalance.delay.ms=300
TOPIC=kjs-groups GROUP=kjs-group
step "node tests/js/kafkajs_groups.mjs"
SLUICE_BOOTSTRAP=$BOOTSTRAP SLUICE_TOPIC=$TOPIC SLUICE_GROUP=$GROUP KAFKAJS_NO_PARTITIONER_WARNING=1 \
    timeout -k 5 120 node "$SL_JS_DIR/kafkajs_groups.mjs" || fail "kafkajs_groups.mjs failed (exit $?)"

# kcat -G in kafkajs's group: it starts at the committed offsets, so it reads
# the 8 records produced now and none of the 800 kafkajs read.
step "kcat -G $GROUP after kafkajs: only the new records"
for i in $(seq 1 8); do echo "nk-$i:new-$i"; done |
    sl_run "$KCAT" -b "$BOOTSTRAP" -P -t "$TOPIC" -K: -X acks=all
OUT=$SL_TMP/kcat.out
"$KCAT" -b "$BOOTSTRAP" -q -u -G "$GROUP" -X auto.offset.reset=earliest -X session.timeout.ms=6000 \
    -f '%p %o %s\n' "$TOPIC" >"$OUT" 2>"$SL_TMP/kcat.err" &
KPID=$!
SL_PIDS+=("$KPID")
end=$(( $(date +%s) + 60 ))
until [ "$(grep -c ' new-' "$OUT" || true)" -ge 8 ]; do
    kill -0 "$KPID" 2>/dev/null || fail "kcat -G exited: $(cat "$SL_TMP/kcat.err")"
    [ "$(date +%s)" -lt "$end" ] || fail "kcat -G read $(wc -l <"$OUT") records in 60 s, not the 8 new ones: $(cat "$OUT")"
    sleep 0.2
done
# Partitions are read in offset order: anything old would have come first.
kill -TERM "$KPID"; wait "$KPID" 2>/dev/null || true; sl_forget_pid "$KPID"
old=$(grep -vc ' new-' "$OUT" || true)
[ "$old" -eq 0 ] || fail "kcat -G read $old records that kafkajs had committed: $(grep -v ' new-' "$OUT" | head -5 | paste -sd' ')"
[ "$(wc -l <"$OUT")" -eq 8 ] || fail "kcat -G read $(wc -l <"$OUT") records, not 8: $(cat "$OUT")"
step "kcat -G read only the 8 new records"
sl_broker_stop
