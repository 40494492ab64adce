#!/usr/bin/env bash
# engine_crash.sh — an engine process counting words is killed with SIGKILL
# 20 times while its input flows, and restarted each time, against a real
# `sluice broker` over TCP (the librdkafka log client, a consumer group):
#  - the final counts are never below the truth (at-least-once: a record may
#    be counted twice after a crash, never lost);
#  - each restart replays only the changelog tail (the records written after
#    the killed run's last commit), not the whole changelog: all the restores
#    of the 21 starts together replay fewer records than the changelog holds;
#  - a clean stop and restart replays nothing.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

WC="$SL_BUILD/bin/sample_wordcount"
[ -x "$WC" ] || fail "$WC is missing (built with the samples)"

sl_broker_start "$SL_TMP/data" --override group.initial.rebalance.delay.ms=0
sl_run "$SLUICE" topic create text-lines --partitions 3 >/dev/null || fail "cannot create text-lines"

# The input: 20 batches of 1000 lines of one word each, produced while the
# engine is being killed; the truth is what was produced.
WORDS=(alpha beta gamma delta epsilon zeta eta theta iota kappa)
producer() {
    for b in $(seq 20); do
        for i in $(seq 1000); do echo "${WORDS[$(( (b * 7 + i) % 10 ))]}"; done >"$SL_TMP/batch$b"
        sl_run "$SLUICE" produce text-lines <"$SL_TMP/batch$b" >/dev/null 2>&1 ||
            { echo "produce failed" >&2; exit 1; }
        cat "$SL_TMP/batch$b" >>"$SL_TMP/truth.lines"
        sleep 0.25
    done
}
producer &
PRODUCER=$!
SL_PIDS+=("$PRODUCER")

STATE="$SL_TMP/state"
# A static group member (as Kafka Streams deployments use against restarts):
# the restarted process takes over the killed one's partitions at once,
# instead of waiting for its session to time out.
WC_ARGS=(--bootstrap "$BOOTSTRAP" --state-dir "$STATE" --commit-ms 200
         --property consumer.group.instance.id=wc --property consumer.session.timeout.ms=6000)
for k in $(seq 20); do
    "$WC" "${WC_ARGS[@]}" >"$SL_TMP/wc$k.out" 2>"$SL_TMP/wc$k.err" &
    pid=$!
    SL_PIDS+=("$pid")
    sleep "0.$(( 3 + RANDOM % 6 ))"
    kill -KILL "$pid" 2>/dev/null || fail "the engine exited before it was killed: $(cat "$SL_TMP/wc$k.err")"
    wait "$pid" 2>/dev/null || true
    sl_forget_pid "$pid"
done
step "killed the engine 20 times"
wait "$PRODUCER" || fail "the producer failed"
sl_forget_pid "$PRODUCER"
TOTAL=$(wc -l <"$SL_TMP/truth.lines")
[ "$TOTAL" -eq 20000 ] || fail "produced $TOTAL lines, not 20000"

# Catch up, print the counts, stop cleanly.
SL_CMD_TIMEOUT=150
sl_run "$WC" "${WC_ARGS[@]}" --until-idle >"$SL_TMP/final.out" 2>"$SL_TMP/final.err" || fail "final run: $(cat "$SL_TMP/final.err")"
restored=$(sed -n 's/.*processed [0-9]* records, restored \([0-9]*\)$/\1/p' "$SL_TMP/final.err")
[ -n "$restored" ] || fail "no restored count in: $(cat "$SL_TMP/final.err")"
# Each killed run's last status line says what it had restored at its start.
sum=$restored
for k in $(seq 20); do
    r=$(sed -n 's/.*restored \([0-9]*\)$/\1/p' "$SL_TMP/wc$k.err" | tail -n 1)
    sum=$(( sum + ${r:-0} ))
done
if command -v kcat >/dev/null; then KCAT=kcat; else KCAT=kafkacat; fi
changelog=$(sl_run "$KCAT" -b "$BOOTSTRAP" -C -t wordcount-counts-changelog -e -q -f 'x\n' | wc -l)
step "changelog: $changelog records; restored: $restored by the final start, $sum by all 21"
[ "$changelog" -gt 0 ] || fail "the changelog is empty"
[ "$sum" -lt "$changelog" ] ||
    fail "the starts replayed $sum changelog records in all: more than the tails ($changelog in the changelog)"

sort "$SL_TMP/truth.lines" | uniq -c | awk '{print $2 "\t" $1}' | sort >"$SL_TMP/truth"
sort "$SL_TMP/final.out" >"$SL_TMP/counts"
[ "$(wc -l <"$SL_TMP/counts")" -eq 10 ] || fail "expected 10 words, got: $(cat "$SL_TMP/counts")"
join "$SL_TMP/truth" "$SL_TMP/counts" | while read -r w want got; do
    [ "$got" -ge "$want" ] || fail "'$w' counted $got times, produced $want: a record was lost"
done
step "every count >= the truth: $(tr '\n' ' ' <"$SL_TMP/counts")"

# A clean stop, then a restart: nothing to replay, nothing to process.
sl_run "$WC" "${WC_ARGS[@]}" --until-idle >"$SL_TMP/again.out" 2>"$SL_TMP/again.err" || fail "restart: $(cat "$SL_TMP/again.err")"
grep -q "processed 0 records, restored 0$" "$SL_TMP/again.err" ||
    fail "a clean restart should replay and reprocess nothing: $(cat "$SL_TMP/again.err")"
sl_same "$SL_TMP/final.out" "$SL_TMP/again.out" "counts after a clean restart"

# A lost state directory: the start replays the whole changelog (as it is
# now: not compacted yet) and ends with the same counts.
rm -rf "$STATE"
sl_run "$WC" "${WC_ARGS[@]}" --until-idle >"$SL_TMP/rebuilt.out" 2>"$SL_TMP/rebuilt.err" ||
    fail "rebuild: $(cat "$SL_TMP/rebuilt.err")"
changelog=$(sl_run "$KCAT" -b "$BOOTSTRAP" -C -t wordcount-counts-changelog -e -q -f 'x\n' | wc -l)
grep -q "processed 0 records, restored $changelog$" "$SL_TMP/rebuilt.err" ||
    fail "a lost state directory should be rebuilt from all $changelog changelog records: $(cat "$SL_TMP/rebuilt.err")"
sl_same "$SL_TMP/final.out" "$SL_TMP/rebuilt.out" "counts rebuilt from the changelog"
