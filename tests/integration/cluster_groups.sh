#!/usr/bin/env bash
# cluster_groups.sh — consumer groups on a three-node cluster: the coordinator
# of a group is the leader of its partition of the replicated
# __consumer_offsets topic, so that
#   1. a group's committed offsets survive its coordinator's death (SIGKILL):
#      the next consumer of the group resumes exactly where the last stopped;
#   2. a consumer keeps consuming through a coordinator failover: every
#      record produced before and after the kill reaches it.
#   3. a topic config changed with kafkajs's AlterConfigs reaches every
#      broker (tests/js/kafkajs_cluster.mjs);
#   4. `sluice cluster elect-leaders` moves leadership back to the preferred
#      replicas (ElectLeaders) after a restart moved it away.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/js.bash"
sl_js_require 14.0.0 kafkajs

TOPIC=events
sl_cluster_init 3
start_node() {
    sl_cluster_start_node "$1" \
        --override broker.session.timeout.ms=2000 --override broker.heartbeat.interval.ms=250 \
        --override controller.quorum.election.timeout.ms=500 --override group.initial.rebalance.delay.ms=0 \
        --override offsets.topic.num.partitions=6
}
status() { sl_cluster_status; }
has_brokers() { sl_cluster_has 3; }
all_in_sync() { sl_cluster_in_sync 3; }

# coordinator_of GROUP — the leader of the group's __consumer_offsets partition
# (Java's String.hashCode, as Kafka's coordinator lookup).
coordinator_of() {
    local p
    p=$(python3 -c '
import sys
h = 0
for ch in sys.argv[1]: h = (31 * h + ord(ch)) & 0xffffffff
if h >= 1 << 31: h -= 1 << 32
print(abs(h) % 6)' "$1")
    status | awk -v p="$p" '$1 == "__consumer_offsets" && $2 == p { print $3 }'
}
coordinator_known() { local c; c=$(coordinator_of "$1"); [ -n "$c" ] && [ "$c" -ge 1 ]; }

produce_range() { # FIRST LAST: keyed lines "i:i", spread over the partitions
    seq "$1" "$2" | awk '{ print $1 ":" $1 }' |
        sl_run "$SLUICE" produce "$TOPIC" --key-separator : >/dev/null || fail "producing $1..$2 failed"
}

step "starting three nodes"
for i in 1 2 3; do start_node "$i"; done
sl_wait_until 60 has_brokers || fail "the cluster did not form: $(tail -n 20 "$SL_TMP"/node*.err)"
sl_run "$SLUICE" topic create "$TOPIC" --partitions 3 --replication-factor 3 >/dev/null

# ------------------------------------- 1. committed offsets survive the coordinator
produce_range 1 3000
sl_run "$SLUICE" consume "$TOPIC" --group g1 --from-beginning --max-messages 3000 --timeout-ms 30000 \
    >"$SL_TMP/first" || fail "the first consumer of g1 failed"
[ "$(sort -n "$SL_TMP/first" | uniq | wc -l)" -eq 3000 ] || fail "g1 read $(wc -l <"$SL_TMP/first") records, not 3000"
sl_wait_until 30 all_in_sync || fail "not in sync: $(status)"
sl_wait_until 30 coordinator_known g1 || fail "no coordinator for g1: $(status)"
c=$(coordinator_of g1)
sl_cluster_kill_node "$c"
step "g1's coordinator (node $c) killed"
produce_range 3001 6000
sl_run "$SLUICE" consume "$TOPIC" --group g1 --max-messages 3000 --timeout-ms 30000 >"$SL_TMP/second" ||
    fail "the second consumer of g1 failed"
want=$(seq 3001 6000 | md5sum)
[ "$(sort -n "$SL_TMP/second" | md5sum)" = "$want" ] ||
    fail "after the failover g1 read $(wc -l <"$SL_TMP/second") records, not exactly 3001..6000 (first $(sort -n "$SL_TMP/second" | head -1))"
step "g1 resumed at its committed offsets on the new coordinator"
start_node "$c"
sl_wait_until 60 all_in_sync || fail "node $c did not catch up: $(status)"

# -------------------------------- 2. consuming through a coordinator failover
OUT=$SL_TMP/through
sl_run "$SLUICE" consume "$TOPIC" --group g2 --from-beginning --max-messages 9000 --timeout-ms 60000 \
    >"$OUT" 2>"$SL_TMP/through.err" &
CONSUMER=$!
SL_PIDS+=("$CONSUMER")
sl_wait_until 30 test -s "$OUT" || fail "g2 consumed nothing"
sl_wait_until 30 coordinator_known g2 || fail "no coordinator for g2: $(status)"
c=$(coordinator_of g2)
sl_cluster_kill_node "$c"
step "g2's coordinator (node $c) killed while it consumes"
produce_range 6001 9000
wait "$CONSUMER" || fail "the consumer of g2 failed: $(tail -n 5 "$SL_TMP/through.err")"
sl_forget_pid "$CONSUMER"
missing=$(comm -23 <(seq 1 9000 | sort) <(sort -u "$OUT") | wc -l)
[ "$missing" -eq 0 ] || fail "g2 missed $missing of 9000 records"
step "g2 read all 9000 records through the failover ($(wc -l <"$OUT") with redeliveries)"

# ------------------------------------------ 3. topic configs reach every broker
start_node "$c"
sl_wait_until 60 all_in_sync || fail "node $c did not catch up: $(status)"
SLUICE_TOPIC=$TOPIC timeout -k 5 120 node "$SL_JS_DIR/kafkajs_cluster.mjs" || fail "kafkajs_cluster.mjs failed"

# ---------------------------------- 4. preferred leaders back (ElectLeaders)
l=$(status | awk -v t="$TOPIC" '$1 == t && $2 == 0 { print $3 }')
[ -n "$l" ] && [ "$l" -ge 1 ] || fail "no leader for $TOPIC-0: $(status)"
sl_cluster_kill_node "$l"
sleep 1
start_node "$l"
sl_wait_until 60 all_in_sync || fail "node $l did not catch up: $(status)"
not_preferred() { status | awk -v t="$TOPIC" '$1 == t { split($4, r, ","); if ($3 != r[1]) n++ } END { print n + 0 }'; }
[ "$(not_preferred)" -ge 1 ] || fail "the restart of node $l left every leader preferred: $(status)"
# A preferred replica that is not back in the ISR yet is refused
# (PREFERRED_LEADER_NOT_AVAILABLE): asked again until none is.
elect() { sl_run "$SLUICE" cluster elect-leaders >"$SL_TMP/elect" 2>&1; }
sl_wait_until 30 elect || fail "elect-leaders kept failing: $(cat "$SL_TMP/elect")"
grep -q "leader(s) elected, 0 failed" "$SL_TMP/elect" || fail "elect-leaders: $(cat "$SL_TMP/elect")"
all_preferred() { [ "$(not_preferred)" -eq 0 ]; }
sl_wait_until 10 all_preferred || fail "leaders not back on the preferred replicas: $(status)"
step "preferred leaders elected: $(tail -n 1 "$SL_TMP/elect")"
