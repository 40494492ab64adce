#!/usr/bin/env bash
# crash_recovery.sh — SIGKILL the broker while an idempotent acks=all producer
# is writing; after a restart on the same data directory every acknowledged
# record must be there, once, in order, and the segments and indexes verify.
#
# The producer is a loop of `sluice produce` runs (idempotent, acks=all by
# default), one per chunk of numbered lines: a chunk is acknowledged when its
# run exits 0. Lines of a chunk that was not acknowledged (the one in flight at
# the kill) may be there or not, even twice; an acknowledged line that is
# missing, duplicated or out of order, or a line nobody sent, is a failure.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

TOTAL=200000        # lines the producer means to write
CHUNK=20000         # lines per `sluice produce` run
KILL_AFTER=4        # SIGKILL once this many chunks are acknowledged
TOPIC=crash
D=$SL_TMP/data
# Small segments, so that recovery has several segments and indexes to check.
BROKER_ARGS=(--override log.segment.bytes=262144 --override log.index.interval.bytes=1024)

sl_broker_start "$D" "${BROKER_ARGS[@]}"
sl_run "$SLUICE" topic create "$TOPIC" --partitions 1 >/dev/null

# ---------------------------------------------------------------- producer
ACKED=$SL_TMP/acked        # "first last" of each acknowledged chunk
STARTED=$SL_TMP/started    # "first last" of each chunk begun
INFLIGHT=$SL_TMP/inflight.pid
STOP=$SL_TMP/stop
: >"$ACKED"; : >"$STARTED"
producer_loop() {
    local first last pid
    for ((first = 1; first <= TOTAL; first += CHUNK)); do
        [ -e "$STOP" ] && break
        last=$((first + CHUNK - 1))
        echo "$first $last" >>"$STARTED"
        seq "$first" "$last" | "$SLUICE" produce "$TOPIC" >/dev/null 2>>"$SL_TMP/producer.err" &
        pid=$!
        echo "$pid" >"$INFLIGHT"
        if wait "$pid"; then
            echo "$first $last" >>"$ACKED"
        else
            echo "chunk $first-$last not acknowledged" >>"$SL_TMP/producer.err"
        fi
    done
}
step "producing $TOTAL lines in chunks of $CHUNK"
producer_loop &
PRODUCER=$!
SL_PIDS+=("$PRODUCER")

# Wait for KILL_AFTER acknowledged chunks, then kill within the next run (a
# run takes some tens of ms here, more under ASan; the delay varies so that
# the kill lands at different moments of it: connecting, mid-batch, acking).
for _ in $(seq 12000); do
    [ "$(wc -l <"$ACKED")" -ge "$KILL_AFTER" ] && break
    kill -0 "$PRODUCER" 2>/dev/null || fail "the producer loop ended early: $(tail -n 5 "$SL_TMP/producer.err" 2>/dev/null)"
    sleep 0.01
done
[ "$(wc -l <"$ACKED")" -ge "$KILL_AFTER" ] || fail "fewer than $KILL_AFTER chunks acknowledged after 120 s: $(tail -n 5 "$SL_TMP/producer.err" 2>/dev/null)"
sleep "0.0$((RANDOM % 6))"
sl_broker_kill
touch "$STOP"
[ -e "$D/.kafka_cleanshutdown" ] && fail ".kafka_cleanshutdown present after SIGKILL"

# The run in flight would retry until message.timeout.ms (30 s, and longer to
# drain); a second is enough for it to finish if it had all its acks, after
# that it is stopped: either way it counts as acknowledged only if it exited 0.
sleep 1
kill -TERM "$(cat "$INFLIGHT")" 2>/dev/null || true
for _ in $(seq 300); do kill -0 "$PRODUCER" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PRODUCER" 2>/dev/null && fail "the producer loop did not end within 30 s of the kill"
wait "$PRODUCER" || true
sl_forget_pid "$PRODUCER"

NACKED=$(wc -l <"$ACKED")
NSTARTED=$(wc -l <"$STARTED")
LAST_SENT=$(tail -n 1 "$STARTED" | cut -d' ' -f2)
step "$NACKED of $NSTARTED chunks acknowledged ($(grep -c . "$SL_TMP/producer.err" || true) lines of producer errors)"

# ---------------------------------------------------------------- restart
sl_broker_start "$D" "${BROKER_ARGS[@]}"
END=$(sl_run kcat -b "$BOOTSTRAP" -Q -t "$TOPIC:0:-1" | sed -n "s/^$TOPIC \[0\] offset \([0-9]*\)$/\1/p")
[ -n "$END" ] || fail "cannot read the end offset of $TOPIC after the restart"
step "end offset after recovery: $END"

# consume_all N FILE — the first N records' values, from the beginning.
consume_all() {
    sl_run "$SLUICE" consume "$TOPIC" --from-beginning --max-messages "$1" --timeout-ms 30000 >"$2"
    [ "$(wc -l <"$2")" -eq "$1" ] || fail "consumed $(wc -l <"$2") records, expected $1"
}
consume_all "$END" "$SL_TMP/got"

# The acknowledged lines, in order, each once.
while read -r first last; do seq "$first" "$last"; done <"$ACKED" >"$SL_TMP/want"
# What was read back, keeping only lines of acknowledged chunks ...
awk 'NR == FNR { lo[NR] = $1; hi[NR] = $2; n = NR; next }
     { for (i = 1; i <= n; i++) if ($0 + 0 >= lo[i] && $0 + 0 <= hi[i]) { print; next } }' \
    "$ACKED" "$SL_TMP/got" >"$SL_TMP/got.acked"
sl_same "$SL_TMP/want" "$SL_TMP/got.acked" "acknowledged records after recovery (missing, duplicated or reordered)"
# ... and the rest: only lines that some run sent.
awk -v max="$LAST_SENT" '$0 !~ /^[0-9]+$/ || $0 < 1 || $0 > max { print "record " NR ": \"" $0 "\""; bad = 1; exit }
     END { exit bad }' "$SL_TMP/got" || fail "a record that no producer run sent"
EXTRA=$(( END - $(wc -l <"$SL_TMP/want") ))
step "all $(wc -l <"$SL_TMP/want") acknowledged lines present, once, in order; $EXTRA more from unacknowledged runs"

# ---------------------------------------------------------------- the log still takes writes
step "producing after recovery"
seq 900001 900100 | sl_run "$SLUICE" produce "$TOPIC" >/dev/null
consume_all $((END + 100)) "$SL_TMP/got2"
tail -n 100 "$SL_TMP/got2" >"$SL_TMP/got2.tail"
seq 900001 900100 >"$SL_TMP/want2"
sl_same "$SL_TMP/want2" "$SL_TMP/got2.tail" "records produced after recovery"
head -n "$END" "$SL_TMP/got2" | cmp -s - "$SL_TMP/got" || fail "the recovered records changed after new writes"

# ---------------------------------------------------------------- on disk
sl_broker_stop
[ -e "$D/.kafka_cleanshutdown" ] || fail ".kafka_cleanshutdown missing after a clean stop"
NSEG=0
for f in "$D/$TOPIC-0"/*.log; do
    sl_run "$SLUICE" dump-log "$f" --verify-index >"$SL_TMP/dump.out" 2>&1 ||
        { tail -n 20 "$SL_TMP/dump.out" >&2; fail "dump-log --verify-index $f exited non-zero"; }
    NSEG=$((NSEG + 1))
done
[ "$NSEG" -gt 1 ] || fail "expected several segments with log.segment.bytes=262144, found $NSEG"
step "dump-log --verify-index passes on all $NSEG segments"
