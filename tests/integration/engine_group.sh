#!/usr/bin/env bash
# engine_group.sh — two engine processes with the same application.id share
# the input partitions through their consumer group (librdkafka against a
# `sluice broker`): each processes a share, neither processes a record the
# other did (no rebalance after the start), and a third instance, alone with
# an empty state directory, rebuilds the whole state from the changelogs and
# finds the true counts.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

WC="$SL_BUILD/bin/sample_wordcount"
sl_broker_start "$SL_TMP/data" --override group.initial.rebalance.delay.ms=1000
sl_run "$SLUICE" topic create text-lines --partitions 4 >/dev/null

ARGS=(--bootstrap "$BOOTSTRAP" --commit-ms 200 --property consumer.session.timeout.ms=6000)
"$WC" "${ARGS[@]}" --state-dir "$SL_TMP/state1" >"$SL_TMP/a.out" 2>"$SL_TMP/a.err" &
A=$!; SL_PIDS+=("$A")
"$WC" "${ARGS[@]}" --state-dir "$SL_TMP/state2" >"$SL_TMP/b.out" 2>"$SL_TMP/b.err" &
B=$!; SL_PIDS+=("$B")

# Both running with two tasks each (2 of the 4 partitions of each
# sub-topology), before any input arrives.
tasks() { sed -n 's/.*tasks \([0-9]*\), processed.*/\1/p' "$1" | tail -n 1; }
for _ in $(seq 300); do
    [ "$(tasks "$SL_TMP/a.err")" = 4 ] && [ "$(tasks "$SL_TMP/b.err")" = 4 ] && break
    sleep 0.1
done
[ "$(tasks "$SL_TMP/a.err")" = 4 ] && [ "$(tasks "$SL_TMP/b.err")" = 4 ] ||
    fail "the two instances did not split the 8 tasks: $(tail -n 2 "$SL_TMP/a.err" "$SL_TMP/b.err")"
step "two instances, 4 tasks each"

WORDS=(red green blue cyan magenta yellow black white)
for i in $(seq 4000); do echo "${WORDS[$(( i % 8 ))]} ${WORDS[$(( i * 3 % 8 ))]}"; done >"$SL_TMP/lines"
sl_run "$SLUICE" produce text-lines <"$SL_TMP/lines" >/dev/null
processed() { sed -n 's/.*processed \([0-9]*\), restored.*/\1/p' "$1" | tail -n 1; }
# 4000 lines in, 8000 words through the repartition topic: 12000 records.
for _ in $(seq 600); do
    [ $(( $(processed "$SL_TMP/a.err") + $(processed "$SL_TMP/b.err") )) -ge 12000 ] && break
    sleep 0.1
done
pa=$(processed "$SL_TMP/a.err"); pb=$(processed "$SL_TMP/b.err")
[ $(( pa + pb )) -eq 12000 ] || fail "the instances processed $pa + $pb records, not 12000"
[ "$pa" -gt 0 ] && [ "$pb" -gt 0 ] || fail "one instance did all the work ($pa, $pb)"
step "processed $pa + $pb = 12000 records"
sleep 1 # a commit or more
kill -TERM "$A" "$B"
wait "$A" || fail "instance A exited with $?"
wait "$B" || fail "instance B exited with $?"
sl_forget_pid "$A"; sl_forget_pid "$B"

SL_CMD_TIMEOUT=120
sl_run "$WC" "${ARGS[@]}" --state-dir "$SL_TMP/state3" --until-idle >"$SL_TMP/c.out" 2>"$SL_TMP/c.err" ||
    fail "third instance: $(cat "$SL_TMP/c.err")"
tr ' ' '\n' <"$SL_TMP/lines" | sort | uniq -c | awk '{print $2 "\t" $1}' >"$SL_TMP/truth"
sort "$SL_TMP/c.out" >"$SL_TMP/counts"
sl_same "$SL_TMP/truth" "$SL_TMP/counts" "counts rebuilt by a third instance"
grep -q "processed 0 records, restored [1-9]" "$SL_TMP/c.err" ||
    fail "the third instance should restore, not reprocess: $(cat "$SL_TMP/c.err")"
step "a third instance restored the state from the changelogs: $(tr '\n' ' ' <"$SL_TMP/counts")"
