#!/usr/bin/env bash
# samples.sh — the programs in samples/ run as their README says: embedded
# (a broker inside the program) and against a running `sluice broker`, with
# the expected results.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

BIN="$SL_BUILD/bin"

# ---- wordcount, embedded: the lines of stdin in, the counts out.
printf 'the cat sat\non the mat\nThe End\n' >"$SL_TMP/lines"
(cd "$SL_TMP" && sl_run "$BIN/sample_wordcount" --state-dir "$SL_TMP/state-embedded" \
    <"$SL_TMP/lines" >"$SL_TMP/wc.out" 2>"$SL_TMP/wc.err") ||
    fail "wordcount (embedded): $(cat "$SL_TMP/wc.err")"
sort "$SL_TMP/wc.out" >"$SL_TMP/wc.sorted"
printf 'cat\t1\nend\t1\nmat\t1\non\t1\nsat\t1\nthe\t3\n' >"$SL_TMP/wc.want"
sl_same "$SL_TMP/wc.want" "$SL_TMP/wc.sorted" "wordcount (embedded)"
step "wordcount, embedded: $(tr '\n' ' ' <"$SL_TMP/wc.sorted")"

# ---- wordcount against a running broker, then again after more input:
# the counts carry on from the state (nothing reprocessed).
sl_broker_start "$SL_TMP/data"
sl_run "$SLUICE" topic create text-lines --partitions 3 >/dev/null
sl_run "$SLUICE" produce text-lines <"$SL_TMP/lines" >/dev/null
sl_run "$BIN/sample_wordcount" --bootstrap "$BOOTSTRAP" --state-dir "$SL_TMP/state" --until-idle \
    >"$SL_TMP/wc2.out" 2>"$SL_TMP/wc2.err" || fail "wordcount (broker): $(cat "$SL_TMP/wc2.err")"
sort "$SL_TMP/wc2.out" >"$SL_TMP/wc2.sorted"
sl_same "$SL_TMP/wc.want" "$SL_TMP/wc2.sorted" "wordcount (broker)"
echo "the cat came back" | sl_run "$SLUICE" produce text-lines >/dev/null
sl_run "$BIN/sample_wordcount" --bootstrap "$BOOTSTRAP" --state-dir "$SL_TMP/state" --until-idle \
    >"$SL_TMP/wc3.out" 2>"$SL_TMP/wc3.err" || fail "wordcount (broker, again): $(cat "$SL_TMP/wc3.err")"
grep -q "processed 5 records, restored 0$" "$SL_TMP/wc3.err" ||
    fail "the second run should process only the new line (1 + 4 words): $(cat "$SL_TMP/wc3.err")"
sort "$SL_TMP/wc3.out" >"$SL_TMP/wc3.sorted"
printf 'back\t1\ncame\t1\ncat\t2\nend\t1\nmat\t1\non\t1\nsat\t1\nthe\t4\n' >"$SL_TMP/wc3.want"
sl_same "$SL_TMP/wc3.want" "$SL_TMP/wc3.sorted" "wordcount (broker, more input)"
step "wordcount against the broker: $(tr '\n' ' ' <"$SL_TMP/wc3.sorted")"
