#!/usr/bin/env bash
# groups.sh — the group coordinator against real consumers:
#  (a) two kcat -G members split a 4-partition topic; every record is read
#      exactly once across them, the offsets are committed, and `sluice groups
#      describe` shows both members, the partitions, committed offsets and
#      lag 0; `sluice groups list` lists the group;
#  (b) three `sluice consume --group` processes on 6 partitions; one is killed
#      with SIGKILL: after its session timeout the two others own all 6
#      partitions, and every record produced after the kill is read by them;
#  (c) committed offsets survive a clean (SIGTERM) and an unclean (SIGKILL)
#      broker restart, and a new member of the group resumes after them.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

if command -v kcat >/dev/null; then KCAT=kcat
elif command -v kafkacat >/dev/null; then KCAT=kafkacat
else fail "neither kcat nor kafkacat is installed (make deps installs the Debian package kcat)"; fi

# A short initial rebalance delay, and session timeouts down to 1 s allowed.
BROKER_ARGS=(--override group.initial.rebalance.delay.ms=300 --override group.min.session.timeout.ms=1000)
sl_broker_start "$SL_TMP/data" "${BROKER_ARGS[@]}"

# wait_for SECONDS WHAT CMD... — polls CMD (every 0.2 s) until it succeeds.
wait_for() {
    local secs=$1 what=$2; shift 2
    local end=$(( $(date +%s) + secs ))
    until "$@"; do
        [ "$(date +%s)" -lt "$end" ] || fail "no $what after $secs s$( [ -s "$SL_TMP/desc" ] &&
            printf '; the last groups describe said:\n%s' "$(cat "$SL_TMP/desc" "$SL_TMP/desc.err" 2>/dev/null)")"
        sleep 0.2
    done
}

describe() { sl_run "$SLUICE" groups describe "$1" --bootstrap "$BOOTSTRAP" --timeout-ms 15000; }

# settled GROUP TOPIC MEMBERS PARTITIONS — the group is Stable with MEMBERS
# members, and each of the topic's PARTITIONS partitions has an owner, every
# member owning some. Leaves the description in $SL_TMP/desc.
settled() {
    describe "$1" >"$SL_TMP/desc" 2>"$SL_TMP/desc.err" || return 1
    grep -q "^Consumer group '$1' is Stable with $3 members" "$SL_TMP/desc" || return 1
    awk -v t="$2" -v np="$4" -v nm="$3" '
        $2 == t && $7 != "-" { p[$3] = 1; m[$7] = 1 }
        END { np2 = 0; for (k in p) np2++; nm2 = 0; for (k in m) nm2++; exit !(np2 == np && nm2 == nm) }' "$SL_TMP/desc"
}

# caught_up GROUP TOPIC PARTITIONS — every partition has a committed offset
# and lag 0.
caught_up() {
    describe "$1" >"$SL_TMP/desc" 2>"$SL_TMP/desc.err" || return 1
    awk -v t="$2" -v np="$3" '
        $2 == t { n++; if ($4 == "-" || $6 != "0") bad = 1 }
        END { exit !(n == np && !bad) }' "$SL_TMP/desc"
}

# lines_ge N FILE... — the files hold at least N lines together.
lines_ge() { local n=$1; shift; [ "$(cat "$@" | wc -l)" -ge "$n" ]; }

# has_all EXPECTED FILE... — every line of EXPECTED is in the files.
has_all() { local exp=$1; shift; [ -z "$(comm -23 <(sort -u "$exp") <(cat "$@" | sort -u))" ]; }

# bg_start NAME CMD... — CMD in the background, stdout to $SL_TMP/NAME.out;
# its pid in BG_PID.
bg_start() {
    local name=$1; shift
    "$@" >"$SL_TMP/$name.out" 2>"$SL_TMP/$name.err" &
    BG_PID=$!
    SL_PIDS+=("$BG_PID")
}

# bg_stop PID — SIGTERM (a clean close, which commits); it must exit within 60 s.
bg_stop() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "consumer $pid still running 60 s after SIGTERM"
    wait "$pid" 2>/dev/null || true
    sl_forget_pid "$pid"
}

topic_create() { sl_run "$SLUICE" topic create "$1" --partitions "$2" --bootstrap "$BOOTSTRAP" >/dev/null; }
# produce TOPIC < lines — every line a record keyed by itself (so that they
# spread over the partitions: unkeyed records stick to one), acks=all.
produce() {
    sed 's/.*/&:&/' | sl_run "$KCAT" -b "$BOOTSTRAP" -P -t "$1" -K: -X acks=all -X socket.timeout.ms=30000
}

# ===================================================================== (a) kcat -G
step "(a) two kcat -G members in group grp over a 4-partition topic"
topic_create ka 4
KC_G=("$KCAT" -b "$BOOTSTRAP" -q -u -G grp -X auto.offset.reset=earliest
      -X enable.auto.commit=true -X auto.commit.interval.ms=300
      -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -f '%p %o %s\n' ka)
bg_start kcat1 "${KC_G[@]}"; K1=$BG_PID
bg_start kcat2 "${KC_G[@]}"; K2=$BG_PID
wait_for 60 "two kcat members owning 2+2 partitions of ka" settled grp ka 2 4
step "both members joined and own the 4 partitions"
NA=800
seq -f 'a-%g' 1 "$NA" >"$SL_TMP/a.exp"
produce ka <"$SL_TMP/a.exp"
wait_for 60 "$NA records read by the two kcat members" \
    lines_ge "$NA" "$SL_TMP/kcat1.out" "$SL_TMP/kcat2.out"
# Offsets are committed every 300 ms: wait for lag 0 everywhere.
wait_for 60 "lag 0 on the 4 partitions of ka" caught_up grp ka 4
settled grp ka 2 4 || fail "group grp is not Stable with 2 members owning ka's 4 partitions: $(cat "$SL_TMP/desc")"
cp "$SL_TMP/desc" "$SL_TMP/desc.a"
cat "$SL_TMP/desc.a"
# Every record once across the two, and each member read from its own partitions.
cut -d' ' -f3 "$SL_TMP/kcat1.out" "$SL_TMP/kcat2.out" | sort >"$SL_TMP/a.got"
sort "$SL_TMP/a.exp" >"$SL_TMP/a.exp.sorted"
dups=$(uniq -d "$SL_TMP/a.got" | head -5 | paste -sd' ')
[ -z "$dups" ] || fail "records read twice across the two kcat members: $dups"
sl_same "$SL_TMP/a.exp.sorted" "$SL_TMP/a.got" "records read by the kcat group"
p1=$(cut -d' ' -f1 "$SL_TMP/kcat1.out" | sort -u | paste -sd,)
p2=$(cut -d' ' -f1 "$SL_TMP/kcat2.out" | sort -u | paste -sd,)
step "kcat 1 read $(wc -l <"$SL_TMP/kcat1.out") records from partitions $p1; kcat 2 read $(wc -l <"$SL_TMP/kcat2.out") from $p2"
[ -n "$p1" ] && [ -n "$p2" ] || fail "one kcat member read nothing (partitions: '$p1' / '$p2')"
[ -z "$(comm -12 <(tr , '\n' <<<"$p1") <(tr , '\n' <<<"$p2"))" ] || fail "both kcat members read partitions $p1 / $p2"
# Committed offsets: the log end offsets, adding up to every record.
sum=$(awk '$2 == "ka" { s += $4 } END { print s + 0 }' "$SL_TMP/desc.a")
[ "$sum" -eq "$NA" ] || fail "committed offsets of ka add up to $sum, not $NA"
sl_run "$SLUICE" groups list --bootstrap "$BOOTSTRAP" >"$SL_TMP/list"
grep -Eq '^grp +Stable' "$SL_TMP/list" || fail "groups list does not show grp as Stable: $(cat "$SL_TMP/list")"
bg_stop "$K1"; bg_stop "$K2"
listed_as() { sl_run "$SLUICE" groups list --bootstrap "$BOOTSTRAP" >"$SL_TMP/list" && grep -Eq "^$1 +$2\$" "$SL_TMP/list"; }
wait_for 60 "group grp Empty after both kcat members left" listed_as grp Empty
step "(a) done: $NA records once each, offsets committed, lag 0, grp listed"

# ===================================================================== (b) SIGKILL
step "(b) three sluice consume --group g2 members over a 6-partition topic; one killed"
topic_create kb 6
SC_G=("$SLUICE" consume kb --group g2 --from-beginning --bootstrap "$BOOTSTRAP"
      --property session.timeout.ms=6000 --property heartbeat.interval.ms=500
      --property auto.commit.interval.ms=300)
bg_start sc1 "${SC_G[@]}"; S1=$BG_PID
bg_start sc2 "${SC_G[@]}"; S2=$BG_PID
bg_start sc3 "${SC_G[@]}"; S3=$BG_PID
wait_for 60 "three members owning kb's 6 partitions" settled g2 kb 3 6
step "three members own 2+2+2 partitions"
seq -f 'b1-%g' 1 600 >"$SL_TMP/b1.exp"
produce kb <"$SL_TMP/b1.exp"
wait_for 60 "the 600 records of the first batch read by the three" has_all "$SL_TMP/b1.exp" "$SL_TMP"/sc[123].out
wait_for 60 "lag 0 on kb before the kill" caught_up g2 kb 6
for i in 1 2 3; do [ -s "$SL_TMP/sc$i.out" ] || fail "member sc$i read nothing of the first batch"; done
kill -KILL "$S3"; wait "$S3" 2>/dev/null || true; sl_forget_pid "$S3"
T_KILL=$(date +%s%N)
step "member sc3 ($S3) killed with SIGKILL; producing the second batch"
seq -f 'b2-%g' 1 600 >"$SL_TMP/b2.exp"
produce kb <"$SL_TMP/b2.exp"
wait_for 60 "the two survivors owning all 6 partitions" settled g2 kb 2 6
moved_ms=$(( ($(date +%s%N) - T_KILL) / 1000000 ))
step "the survivors own all 6 partitions $moved_ms ms after the kill (session.timeout.ms=6000)"
# Within the session timeout plus a rebalance: generous, for ASan on a loaded box.
[ "$moved_ms" -le 40000 ] || fail "partitions moved $moved_ms ms after the kill: longer than 40 s"
wait_for 60 "the 600 records of the second batch read by the survivors" \
    has_all "$SL_TMP/b2.exp" "$SL_TMP/sc1.out" "$SL_TMP/sc2.out"
has_all "$SL_TMP/b1.exp" "$SL_TMP"/sc[123].out || fail "first-batch records lost"
grep -q '^b2-' "$SL_TMP/sc3.out" && fail "the killed member printed second-batch records"
redelivered=$(cat "$SL_TMP"/sc[123].out | sort | uniq -d | wc -l)
step "(b) done: all 1200 records read, the second batch by the survivors ($redelivered redelivered after the kill)"
bg_stop "$S1"; bg_stop "$S2"

# ===================================================================== (c) restarts
step "(c) committed offsets across broker restarts"
topic_create kc 3
seq -f 'c1-%g' 1 300 | produce kc
# offsets_of GROUP TOPIC — "partition:committed" lines from describe.
offsets_of() {
    describe "$1" >"$SL_TMP/desc" || fail "groups describe $1 failed"
    awk -v t="$2" '$2 == t { print $3 ":" $4 }' "$SL_TMP/desc" | sort
}
CS=("$SLUICE" consume kc --group g3 --from-beginning --bootstrap "$BOOTSTRAP" --timeout-ms 30000)
# Reads 120 of the 300, then closes: the close commits what it read.
sl_run "${CS[@]}" --max-messages 120 >"$SL_TMP/c1.out"
[ "$(wc -l <"$SL_TMP/c1.out")" -eq 120 ] || fail "first consumer read $(wc -l <"$SL_TMP/c1.out") records, not 120"
offsets_of g3 kc >"$SL_TMP/off1"
step "committed: $(paste -sd' ' "$SL_TMP/off1")"
[ "$(awk -F: '{ s += $2 } END { print s + 0 }' "$SL_TMP/off1")" -eq 120 ] ||
    fail "the committed offsets of g3 add up to $(awk -F: '{ s += $2 } END { print s + 0 }' "$SL_TMP/off1"), not 120: $(cat "$SL_TMP/desc")"

sl_broker_stop
sl_broker_start "$SL_TMP/data" "${BROKER_ARGS[@]}"
CS=("$SLUICE" consume kc --group g3 --from-beginning --bootstrap "$BOOTSTRAP" --timeout-ms 30000)
offsets_of g3 kc >"$SL_TMP/off2"
[ "$(cat "$SL_TMP/off2")" = "$(cat "$SL_TMP/off1")" ] ||
    fail "after a clean restart the committed offsets are $(paste -sd' ' "$SL_TMP/off2"), not $(paste -sd' ' "$SL_TMP/off1")"
step "same offsets after SIGTERM + restart"
sl_run "${CS[@]}" --max-messages 100 >"$SL_TMP/c2.out"
[ "$(wc -l <"$SL_TMP/c2.out")" -eq 100 ] || fail "second consumer read $(wc -l <"$SL_TMP/c2.out") records, not 100"
offsets_of g3 kc >"$SL_TMP/off3"
step "committed: $(paste -sd' ' "$SL_TMP/off3")"

sl_broker_kill
sl_broker_start "$SL_TMP/data" "${BROKER_ARGS[@]}"
CS=("$SLUICE" consume kc --group g3 --from-beginning --bootstrap "$BOOTSTRAP" --timeout-ms 30000)
offsets_of g3 kc >"$SL_TMP/off4"
[ "$(cat "$SL_TMP/off4")" = "$(cat "$SL_TMP/off3")" ] ||
    fail "after kill -9 + restart the committed offsets are $(paste -sd' ' "$SL_TMP/off4"), not $(paste -sd' ' "$SL_TMP/off3")"
step "same offsets after SIGKILL + restart"
sl_run "${CS[@]}" --max-messages 80 >"$SL_TMP/c3.out"
# The three consumers read the 300 records once each, in three disjoint parts.
cat "$SL_TMP"/c[123].out | sort >"$SL_TMP/c.got"
seq -f 'c1-%g' 1 300 | sort >"$SL_TMP/c.exp"
dups=$(uniq -d "$SL_TMP/c.got" | head -5 | paste -sd' ')
[ -z "$dups" ] || fail "records read again after a restart (the group did not resume after its offsets): $dups"
sl_same "$SL_TMP/c.exp" "$SL_TMP/c.got" "records read across the restarts"
offsets_of g3 kc >"$SL_TMP/off5"
caught_up g3 kc 3 || fail "lag is not 0 after the last consumer: $(cat "$SL_TMP/desc")"
step "(c) done: the group resumed after its committed offsets across both restarts"
sl_broker_stop
