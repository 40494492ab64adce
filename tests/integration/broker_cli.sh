#!/usr/bin/env bash
# broker_cli.sh — `sluice broker` as an operator meets it: argument and config
# errors (exit status and a one-line reason), a busy port, a config file that
# works, SIGTERM/SIGINT (exit 0, clean-shutdown marker), and the topic,
# produce and consume commands round-tripping against it.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

# expect_exit STATUS PATTERN CMD... — CMD must exit with STATUS (within the
# timeout) and the first line of its stderr must match the extended regex
# PATTERN: the reason, on one line (a usage text may follow it).
expect_exit() {
    local want=$1 pat=$2 rc=0; shift 2
    sl_run "$@" >"$SL_TMP/stdout" 2>"$SL_TMP/stderr" || rc=$?
    [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || fail "'$*' still running after ${SL_CMD_TIMEOUT}s"
    [ "$rc" -eq "$want" ] || fail "'$*' exited $rc, expected $want; stderr: $(cat "$SL_TMP/stderr")"
    head -n 1 "$SL_TMP/stderr" | grep -Eq -- "$pat" ||
        fail "'$*': first line of stderr does not match /$pat/: $(cat "$SL_TMP/stderr")"
}

# ---------------------------------------------------------------- argument errors
step "argument errors"
B=("$SLUICE" broker)
expect_exit 2 "^sluice broker: unknown argument '--bogus'\$" "${B[@]}" --bogus
expect_exit 2 "^sluice broker: unknown argument 'stray'\$" "${B[@]}" --data-dir "$SL_TMP/x" stray
expect_exit 2 "^usage: sluice broker" "${B[@]}" --data-dir          # flag without its value
expect_exit 2 "^usage: sluice broker" "${B[@]}" --config
expect_exit 1 "^sluice broker: node.id: 'abc' is not an integer" "${B[@]}" --node-id abc
expect_exit 1 "^sluice broker: listeners: '.*nonsense.*' is not PLAINTEXT://host:port" "${B[@]}" --listen nonsense
expect_exit 1 "^sluice broker: log.dirs: .*exactly one directory" "${B[@]}" --data-dir "$SL_TMP/a,$SL_TMP/b"
expect_exit 2 "unknown broker config key 'no.such.key'" "${B[@]}" --override no.such.key=1
expect_exit 1 "^sluice broker: log.retention.ms: " "${B[@]}" --override log.retention.ms=soon
expect_exit 1 "^sluice broker: .*/missing.properties: No such file or directory" "${B[@]}" --config "$SL_TMP/missing.properties"
"${B[@]}" --help | grep -q '^usage: sluice broker' || fail "broker --help prints no usage"

step "config file errors name the file, the line and the key"
cat >"$SL_TMP/bad.properties" <<'EOF'
# a comment, then a blank line

node.id=3
log.segment.bytes = 1048576
num.partitions=many
EOF
expect_exit 1 "^sluice broker: $SL_TMP/bad.properties:5: num.partitions: 'many'" "${B[@]}" --config "$SL_TMP/bad.properties"
cat >"$SL_TMP/bad2.properties" <<'EOF'
node.id=3
log.retention.hours=\
    not-a-number
EOF
# A continued value is reported at the line where its key starts.
expect_exit 1 "^sluice broker: $SL_TMP/bad2.properties:2: log.retention.hours: " "${B[@]}" --config "$SL_TMP/bad2.properties"

# ---------------------------------------------------------------- a config file that works
step "a broker from a config file (command line overrides it)"
cat >"$SL_TMP/good.properties" <<EOF
node.id=7
num.partitions=2
auto.create.topics.enable=true
listeners=PLAINTEXT://127.0.0.1:1
log.dirs=$SL_TMP/not-this-one
some.unknown.key=ignored with a warning
EOF
sl_broker_start "$SL_TMP/data" --config "$SL_TMP/good.properties"
grep -q "node 7 listening on 127.0.0.1:$PORT, data in $SL_TMP/data\$" "$SL_TMP"/broker*.out ||
    fail "the ready line does not show node 7 and the command line's listener and data dir"
[ -d "$SL_TMP/data" ] && [ ! -e "$SL_TMP/not-this-one" ] || fail "--data-dir did not override log.dirs"
grep -q "some.unknown.key" "$BROKER_LOG" || fail "an unknown key in the config file is not warned about"
# num.partitions from the file applies to auto-created topics.
echo hello | sl_run "$SLUICE" produce auto-topic >/dev/null
sl_run "$SLUICE" topic describe auto-topic | grep -q 'PartitionCount: 2' || fail "num.partitions=2 not applied to an auto-created topic"

# ---------------------------------------------------------------- busy port
step "a second broker on the same port"
expect_exit 1 "address already in use" "${B[@]}" --listen "127.0.0.1:$PORT" --data-dir "$SL_TMP/data2"
grep -qi "address already in use" "$SL_TMP/stderr" || fail "no 'address already in use' message"
kill -0 "$BROKER_PID" || fail "the first broker died when the second failed to bind"

# ---------------------------------------------------------------- topic commands
step "topic create / list / describe"
T=cli-topic
sl_run "$SLUICE" topic create "$T" --partitions 3 --config retention.ms=3600000 --config cleanup.policy=delete >"$SL_TMP/create.out"
grep -q "Created topic $T" "$SL_TMP/create.out" || fail "topic create printed: $(cat "$SL_TMP/create.out")"
expect_exit 1 "already exists" "$SLUICE" topic create "$T" --partitions 3
expect_exit 2 "" "$SLUICE" topic create                      # no name: usage
expect_exit 2 "must be positive" "$SLUICE" topic create bad-partitions --partitions 0
sl_run "$SLUICE" topic list >"$SL_TMP/list.out"
grep -qx "$T" "$SL_TMP/list.out" || fail "topic list does not show $T: $(cat "$SL_TMP/list.out")"
grep -qx "auto-topic" "$SL_TMP/list.out" || fail "topic list does not show auto-topic"
sl_run "$SLUICE" topic describe "$T" >"$SL_TMP/describe.out"
grep -q "Topic: $T.*PartitionCount: 3.*ReplicationFactor: 1" "$SL_TMP/describe.out" ||
    fail "describe: $(cat "$SL_TMP/describe.out")"
grep -q "retention.ms=3600000" "$SL_TMP/describe.out" || fail "describe does not show retention.ms=3600000: $(cat "$SL_TMP/describe.out")"
for p in 0 1 2; do
    grep -q "Partition: $p.*Leader: 7.*Replicas: 7.*Isr: 7" "$SL_TMP/describe.out" ||
        fail "describe: partition $p not led by node 7: $(cat "$SL_TMP/describe.out")"
done
expect_exit 1 "." "$SLUICE" topic describe no-such-topic

# ---------------------------------------------------------------- produce / consume
step "produce with --key-separator, consume with --from-beginning --max-messages"
for i in $(seq 1 100); do echo "key-$((i % 7))|value $i: tab	and spaces  here"; done >"$SL_TMP/kv.txt"
sl_run "$SLUICE" produce "$T" --key-separator '|' <"$SL_TMP/kv.txt" >/dev/null
sl_run "$SLUICE" consume "$T" --from-beginning --max-messages 100 --print-key --key-separator '|' \
    --timeout-ms 30000 >"$SL_TMP/kv.out"
sort "$SL_TMP/kv.txt" >"$SL_TMP/kv.sorted"
sort "$SL_TMP/kv.out" >"$SL_TMP/kv.out.sorted"
sl_same "$SL_TMP/kv.sorted" "$SL_TMP/kv.out.sorted" "keyed records over 3 partitions"
# Per key, order is kept (a key always goes to the same partition).
for k in 0 3 6; do
    grep "^key-$k|" "$SL_TMP/kv.txt" >"$SL_TMP/k.in"
    grep "^key-$k|" "$SL_TMP/kv.out" >"$SL_TMP/k.out" || true
    sl_same "$SL_TMP/k.in" "$SL_TMP/k.out" "order of key-$k"
done
# --max-messages stops early; --partition reads one partition in order.
sl_run "$SLUICE" consume "$T" --from-beginning --max-messages 10 --timeout-ms 30000 >"$SL_TMP/ten.out"
[ "$(wc -l <"$SL_TMP/ten.out")" -eq 10 ] || fail "--max-messages 10 gave $(wc -l <"$SL_TMP/ten.out") lines"
seq 1 50 | sl_run "$SLUICE" produce "$T" --partition 1 --compression zstd >/dev/null
sl_run "$SLUICE" consume "$T" --partition 1 --from-beginning --timeout-ms 3000 >"$SL_TMP/p1.out"
tail -n 50 "$SL_TMP/p1.out" >"$SL_TMP/p1.tail"
seq 1 50 >"$SL_TMP/p1.want"
sl_same "$SL_TMP/p1.want" "$SL_TMP/p1.tail" "--partition 1 after produce --partition 1"
# A line without the separator is an error that names the line.
printf 'a|1\nno separator\n' >"$SL_TMP/bad.txt"
expect_exit 1 "line 2" "$SLUICE" produce "$T" --key-separator '|' --bootstrap "$BOOTSTRAP" <"$SL_TMP/bad.txt"

# ---------------------------------------------------------------- delete
step "topic delete"
sl_run "$SLUICE" topic delete "$T" >/dev/null
sl_run "$SLUICE" topic list >"$SL_TMP/list2.out"
grep -qx "$T" "$SL_TMP/list2.out" && fail "topic list still shows $T after delete"
grep -qx "auto-topic" "$SL_TMP/list2.out" || fail "delete of $T removed auto-topic from the list"
expect_exit 1 "." "$SLUICE" topic delete "$T"
for _ in $(seq 100); do ls -d "$SL_TMP/data/$T"-* >/dev/null 2>&1 || break; sleep 0.1; done
ls -d "$SL_TMP/data/$T"-[0-9]* >/dev/null 2>&1 && fail "partition directories of $T still there 10 s after delete: $(ls "$SL_TMP/data")"

# ---------------------------------------------------------------- stopping
step "SIGTERM: exit 0 and .kafka_cleanshutdown"
sl_broker_stop
[ -e "$SL_TMP/data/.kafka_cleanshutdown" ] || fail ".kafka_cleanshutdown missing after SIGTERM"
grep -q "SIGTERM received" "$BROKER_LOG" || fail "no 'SIGTERM received' on stderr"

step "restart: the marker is removed while running; SIGINT stops it too"
sl_broker_start "$SL_TMP/data" --config "$SL_TMP/good.properties"
[ -e "$SL_TMP/data/.kafka_cleanshutdown" ] && fail ".kafka_cleanshutdown still there while the broker runs"
sl_run "$SLUICE" topic list | grep -qx auto-topic || fail "auto-topic lost across a clean restart"
sl_run "$SLUICE" consume auto-topic --from-beginning --max-messages 1 --timeout-ms 30000 | grep -qx hello ||
    fail "auto-topic's record lost across a clean restart"
kill -INT "$BROKER_PID"
rc=0
for _ in $(seq 600); do kill -0 "$BROKER_PID" 2>/dev/null || break; sleep 0.1; done
wait "$BROKER_PID" || rc=$?
sl_forget_pid "$BROKER_PID"
[ "$rc" -eq 0 ] || fail "broker exited $rc after SIGINT"
[ -e "$SL_TMP/data/.kafka_cleanshutdown" ] || fail ".kafka_cleanshutdown missing after SIGINT"
