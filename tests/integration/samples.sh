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

# ---- pageviews, embedded: the join takes users and views in time order.
printf 'U alice eu\nU bob us\nV alice /home\nV bob /cart\nV carol /home\nU carol apac\nV carol /pay\nV alice /pay\n' \
    >"$SL_TMP/pv.in"
(cd "$SL_TMP" && sl_run "$BIN/sample_pageviews" --state-dir "$SL_TMP/state-pv" <"$SL_TMP/pv.in" \
    >"$SL_TMP/pv.out" 2>"$SL_TMP/pv.err") || fail "pageviews: $(cat "$SL_TMP/pv.err")"
sort "$SL_TMP/pv.out" >"$SL_TMP/pv.sorted"
printf 'region\tapac\t1\nregion\teu\t2\nregion\tunknown\t1\nregion\tus\t1\nview\talice\t/home@eu\nview\talice\t/pay@eu\nview\tbob\t/cart@us\nview\tcarol\t/home@unknown\nview\tcarol\t/pay@apac\n' \
    >"$SL_TMP/pv.want"
sl_same "$SL_TMP/pv.want" "$SL_TMP/pv.sorted" "pageviews (embedded)"
step "pageviews, embedded: joined in time order"

# ---- windowed_count, embedded: the last update of each window is its
# count; the record past the grace period is dropped and counted.
printf '0 alice /home\n10 bob /home\n30 alice /cart\n59 alice /pay\n61 alice /home\n65 bob /cart\n50 bob /late\n130 alice /x\n55 carol /too-late\n' \
    >"$SL_TMP/win.in"
(cd "$SL_TMP" && sl_run "$BIN/sample_windowed_count" --state-dir "$SL_TMP/state-win" \
    <"$SL_TMP/win.in" >"$SL_TMP/win.out" 2>"$SL_TMP/win.err") ||
    fail "windowed_count: $(cat "$SL_TMP/win.err")"
grep -v '^dropped' "$SL_TMP/win.out" | awk -F'\t' '{last[$1 "\t" $2] = $3} END {for (k in last) print k "\t" last[k]}' |
    sort >"$SL_TMP/win.sorted"
printf 'alice\t0\t3\nalice\t120\t1\nalice\t60\t1\nbob\t0\t2\nbob\t60\t1\n' >"$SL_TMP/win.want"
sl_same "$SL_TMP/win.want" "$SL_TMP/win.sorted" "windowed_count (embedded)"
grep -qx "dropped	1" "$SL_TMP/win.out" || fail "windowed_count: expected 1 dropped record: $(cat "$SL_TMP/win.out")"
step "windowed_count, embedded: final counts per window, 1 late record dropped"
