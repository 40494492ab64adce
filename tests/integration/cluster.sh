#!/usr/bin/env bash
# cluster.sh — three `sluice broker` processes form a replicated cluster
# (every node a controller-quorum voter) on ephemeral ports, and keep every
# acknowledged record through broker faults:
#   1. the leader of partition 0 is SIGKILLed and restarted 10 times while an
#      idempotent acks=all producer writes numbered lines to a topic with
#      RF=3 and min.insync.replicas=2;
#   2. the leader is paused (SIGSTOP) longer than the broker session timeout,
#      then resumed: it is fenced by its epoch and must not lose or keep
#      anything it alone accepted;
#   3. the active controller is killed: topics can still be created and
#      leaders elected.
# After the faults, everything is consumed: no acknowledged line missing, no
# line twice, offsets dense, and each partition's replicas byte-identical.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

TOPIC=seq
PARTS=3
CHUNK=1000          # lines per `sluice produce` run (one acknowledgement each)
KILLS=10
SESSION_MS=2000     # broker.session.timeout.ms: a dead broker is fenced after this

sl_cluster_init 3
start_node() {
    sl_cluster_start_node "$1" \
        --override broker.session.timeout.ms=$SESSION_MS --override broker.heartbeat.interval.ms=250 \
        --override replica.lag.time.max.ms=4000 --override controller.quorum.election.timeout.ms=500 \
        --override replica.fetch.wait.max.ms=200 --override log.segment.bytes=65536
}

status() { sl_cluster_status; }

# leader_of TOPIC PARTITION — the leader's node id as the cluster reports it.
leader_of() { status | awk -v t="$1" -v p="$2" '$1 == t && $2 == p { print $3 }'; }

all_in_sync() { sl_cluster_in_sync 3; }
has_brokers() { sl_cluster_has 3; }
leader_known() { local l; l=$(leader_of "$1" "$2"); [ -n "$l" ] && [ "$l" -ge 1 ]; }

step "starting three nodes (quorum $QUORUM)"
for i in 1 2 3; do start_node "$i"; done
sl_wait_until 60 has_brokers || fail "the cluster did not form within 60 s: $(status; tail -n 20 "$SL_TMP"/node*.err)"
sl_run "$SLUICE" topic create "$TOPIC" --partitions $PARTS --replication-factor 3 \
    --config min.insync.replicas=2 >/dev/null
sl_wait_until 30 leader_known "$TOPIC" 0 || fail "no leader for $TOPIC-0: $(status)"
status

# ---------------------------------------------------------------- producer
ACKED=$SL_TMP/acked; STARTED=$SL_TMP/started; STOP=$SL_TMP/stop
: >"$ACKED"; : >"$STARTED"
producer_loop() {
    local first=1 last
    while [ ! -e "$STOP" ]; do
        last=$((first + CHUNK - 1))
        echo "$first $last" >>"$STARTED"
        if seq "$first" "$last" | timeout -k 5 120 "$SLUICE" produce "$TOPIC" \
            --property message.timeout.ms=60000 >/dev/null 2>>"$SL_TMP/producer.err"; then
            echo "$first $last" >>"$ACKED"
        fi
        first=$((last + 1))
        sleep 0.1 # a steady stream, not a flood: the checks read it all back
    done
}
producer_loop &
PRODUCER=$!
SL_PIDS+=("$PRODUCER")
sl_wait_until 60 test -s "$ACKED" || fail "nothing acknowledged within 60 s: $(tail -n 5 "$SL_TMP/producer.err")"

# ------------------------------------------------ 1. kill -9 the leader, 10 times
for k in $(seq $KILLS); do
    # Each fault finds every replica back in sync (a rolling restart's pace):
    # with a follower still catching up, killing the leader leaves the
    # partition without an eligible replica until it returns.
    sl_wait_until 60 all_in_sync || fail "kill $k: replicas not back in sync: $(status)"
    l=$(leader_of "$TOPIC" 0)
    [ -n "$l" ] && [ "$l" -ge 1 ] || { sl_wait_until 20 leader_known "$TOPIC" 0; l=$(leader_of "$TOPIC" 0); }
    [ -n "$l" ] && [ "$l" -ge 1 ] || fail "kill $k: no leader for $TOPIC-0: $(status)"
    sl_cluster_kill_node "$l"
    step "kill $k: node $l (leader of $TOPIC-0) killed; $(wc -l <"$ACKED") chunks acknowledged"
    sleep "$(( (SESSION_MS + 500) / 1000 )).$((RANDOM % 9))"
    start_node "$l"
    sl_wait_until 60 has_brokers || fail "kill $k: node $l did not rejoin: $(tail -n 20 "$SL_TMP/node$l.err")"
done

# ----------------------------------- 2. pause the leader past its session timeout
sl_wait_until 60 all_in_sync || fail "replicas not back in sync before the pause: $(status)"
l=$(leader_of "$TOPIC" 0)
[ -n "$l" ] && [ "$l" -ge 1 ] || fail "no leader to pause: $(status)"
kill -STOP "${NODE_PID[$l]}"
step "node $l (leader of $TOPIC-0) paused"
sleep $(( SESSION_MS * 2 / 1000 + 1 ))
sl_wait_until 30 leader_known "$TOPIC" 0 || fail "no new leader while $l is paused: $(status)"
nl=$(leader_of "$TOPIC" 0)
[ "$nl" != "$l" ] || fail "node $l still leads $TOPIC-0 while paused"
kill -CONT "${NODE_PID[$l]}"
step "node $l resumed (the leader is now $nl)"
before=$(wc -l <"$ACKED")
acked_past() { [ "$(wc -l <"$ACKED")" -gt "$1" ]; }
sl_wait_until 60 acked_past $((before + 2)) || fail "production stalled after the pause"

# ----------------------------------------------- 3. kill the active controller
sl_wait_until 60 all_in_sync || fail "replicas not back in sync after the pause: $(status)"
ctl=$(status | sed -n 's/^cluster .*controller \([0-9]*\)$/\1/p')
[ -n "$ctl" ] && [ "$ctl" -ge 1 ] || fail "no active controller: $(status)"
sl_cluster_kill_node "$ctl"
step "controller $ctl killed"
sl_wait_until 30 sl_run "$SLUICE" topic create after --partitions 2 --replication-factor 2 >/dev/null 2>&1 ||
    fail "could not create a topic after the controller died: $(status)"
sl_wait_until 30 leader_known after 1 || fail "no leader for after-1: $(status)"
status | grep -q "^cluster .*controller $ctl\$" && fail "the dead node $ctl is still reported as controller"
start_node "$ctl"

# -------------------------------------------------------------------- checks
touch "$STOP"
for _ in $(seq 1500); do kill -0 "$PRODUCER" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PRODUCER" 2>/dev/null && fail "the producer did not stop"
wait "$PRODUCER" || true
sl_forget_pid "$PRODUCER"
step "$(wc -l <"$ACKED") of $(wc -l <"$STARTED") chunks acknowledged; waiting for full ISRs"
sl_wait_until 90 all_in_sync || fail "replicas did not catch up: $(status)"

OUT=$SL_TMP/consumed
sl_run kcat -C -b "$SLUICE_BOOTSTRAP" -t "$TOPIC" -o beginning -e -q -f '%p %o %s\n' >"$OUT" ||
    fail "consuming $TOPIC failed"
step "consumed $(wc -l <"$OUT") records"
python3 - "$OUT" "$ACKED" "$STARTED" <<'EOF' || fail "the consumed records do not hold what was acknowledged"
import sys
consumed, acked, started = sys.argv[1:4]
seen, offsets, bad = {}, {}, []
for line in open(consumed):
    p, o, v = line.split()
    p, o, v = int(p), int(o), int(v)
    offsets.setdefault(p, []).append(o)
    seen[v] = seen.get(v, 0) + 1
sent = set()
for line in open(started):
    a, b = map(int, line.split()); sent.update(range(a, b + 1))
missing = 0
for line in open(acked):
    a, b = map(int, line.split())
    missing += sum(1 for v in range(a, b + 1) if v not in seen)
dups = [v for v, n in seen.items() if n > 1]
unknown = [v for v in seen if v not in sent]
for p, os in offsets.items():
    os.sort()
    if os != list(range(os[0], os[0] + len(os))) or os[0] != 0:
        bad.append("partition %d: offsets not dense from 0 (%d records, %d..%d)" % (p, len(os), os[0], os[-1]))
if missing: bad.append("%d acknowledged lines missing" % missing)
if dups: bad.append("%d lines twice, e.g. %s" % (len(dups), dups[:5]))
if unknown: bad.append("%d lines never sent, e.g. %s" % (len(unknown), unknown[:5]))
for b in bad: print("  " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

# Each partition's replicas hold the same record batches, byte for byte.
for p in $(seq 0 $((PARTS - 1))); do
    sums=$(for i in 1 2 3; do cat $(ls "$SL_TMP/d$i/$TOPIC-$p"/*.log | sort) | md5sum; done | sort -u | wc -l)
    [ "$sums" -eq 1 ] || fail "the replicas of $TOPIC-$p differ: $(for i in 1 2 3; do ls -l "$SL_TMP/d$i/$TOPIC-$p"; done)"
done
step "all acknowledged lines present once, offsets dense, replicas identical"
