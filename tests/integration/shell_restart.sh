#!/usr/bin/env bash
# shell_restart.sh — persistent queries survive the shell: two queries run,
# the shell is killed with SIGKILL, a new shell on the same data directory
# brings back the streams, tables and queries (same ids, from the SQLite
# catalog) and each query carries on from its committed state; TERMINATE
# then retires a query with its internal topics and state, for good.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATA="$SL_TMP/data"
APP=_confluent-ksql-default_query_CTAS_PER_USER_0

# start_shell N — a shell on $DATA fed by a pipe (fd 7), so that it runs
# until the pipe closes or it is killed; its output in $SL_TMP/N.out.
start_shell() {
    rm -f "$SL_TMP/in"
    mkfifo "$SL_TMP/in"
    OUT="$SL_TMP/$1.out"
    "$SLUICE" --data-dir "$DATA" --listen "127.0.0.1:$port" <"$SL_TMP/in" >"$OUT" 2>&1 &
    SHELL_PID=$!
    SL_PIDS+=("$SHELL_PID")
    exec 7>"$SL_TMP/in"
}
send() { printf '%s\n' "$@" >&7; }
# until_out REGEX — waits (60 s) until the shell has printed a match.
until_out() {
    for _ in $(seq 600); do grep -qE -- "$1" "$OUT" && return 0; sleep 0.1; done
    fail "the shell never printed '$1':"$'\n'"$(cat "$OUT")"
}
# stop_shell — end of input: the shell stops its queries (they stay) and exits.
stop_shell() {
    exec 7>&-
    wait "$SHELL_PID" || fail "the shell exited with $?:"$'\n'"$(cat "$OUT")"
    sl_forget_pid "$SHELL_PID"
}
# table TOPIC — key=value of each record of a topic, in order.
table() { sl_run kcat -b "127.0.0.1:$port" -C -t "$1" -o beginning -e -q -f '%k=%s\n' 2>/dev/null || true; }
until_record() {
    for _ in $(seq 300); do table "$1" | grep -qxF -- "$2" && return 0; sleep 0.2; done
    fail "$1 never held $2:"$'\n'"$(table "$1")"
}
internal_topics() { sl_run kcat -b "127.0.0.1:$port" -L 2>/dev/null | grep -c "\"$APP-" || true; }

start_shell 1
send "CREATE STREAM clicks (id INT KEY, user STRING, page STRING)" \
     "  WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=2);" \
     "SET 'auto.offset.reset'='earliest';" \
     "CREATE TABLE per_user WITH (KAFKA_TOPIC='per_user') AS" \
     "  SELECT user, COUNT(*) AS n FROM clicks GROUP BY user;" \
     "CREATE STREAM faq_clicks WITH (KAFKA_TOPIC='faq_clicks') AS" \
     "  SELECT id, user FROM clicks WHERE page = 'faq';" \
     "INSERT INTO clicks (id, user, page) VALUES (1, 'alice', 'home');" \
     "INSERT INTO clicks (id, user, page) VALUES (2, 'alice', 'faq');" \
     "INSERT INTO clicks (id, user, page) VALUES (3, 'bob', 'faq');" \
     "INSERT INTO clicks (id, user, page) VALUES (4, 'alice', 'faq');"
until_out "Created query with ID CTAS_PER_USER_0"
until_out "Created query with ID CSAS_FAQ_CLICKS_1"
until_record per_user 'alice={"N":3}'
values() { sl_run kcat -b "127.0.0.1:$port" -C -t "$1" -o beginning -e -q -f '%s\n' 2>/dev/null || true; }
for _ in $(seq 300); do [ "$(values faq_clicks | wc -l)" -eq 3 ] && break; sleep 0.2; done
[ "$(values faq_clicks | wc -l)" -eq 3 ] || fail "faq_clicks: $(values faq_clicks)"
sleep 3 # past a commit (commit.interval.ms is 2 s)
kill -KILL "$SHELL_PID"
wait "$SHELL_PID" 2>/dev/null || true
sl_forget_pid "$SHELL_PID"
exec 7>&-
step "two queries ran; the shell was killed with SIGKILL"

# The same data directory again: everything is back, and the queries resume
# from their committed state.
start_shell 2
send "SHOW STREAMS;" "SHOW TABLES;" "SHOW QUERIES;" \
     "INSERT INTO clicks (id, user, page) VALUES (5, 'alice', 'faq');"
for want in " CLICKS " " FAQ_CLICKS " " PER_USER " "CTAS_PER_USER_0 +\| RUNNING +\| PER_USER" \
            "CSAS_FAQ_CLICKS_1 +\| RUNNING +\| FAQ_CLICKS"; do
    until_out "$want"
done
# The count goes on from the committed 3 to 4 (not 1), and nothing was
# counted twice; the stream query writes the new click once.
until_record per_user 'alice={"N":4}'
# A pull query on the restored state (which follows the output by a commit).
for _ in $(seq 40); do
    send "SELECT * FROM per_user WHERE user = 'alice';"
    sleep 0.5
    grep -qE '^ alice +\| 4 +$' "$OUT" && break
done
until_out '^ alice +\| 4 +$'
[ "$(table per_user | grep -c '^alice=')" -le 4 ] || fail "per_user: $(table per_user)"
for _ in $(seq 300); do [ "$(values faq_clicks | wc -l)" -eq 4 ] && break; sleep 0.2; done
[ "$(values faq_clicks | wc -l)" -eq 4 ] || fail "faq_clicks after the restart: $(values faq_clicks)"
[ "$(internal_topics)" -gt 0 ] || fail "no internal topics of $APP"
[ -d "$DATA/streams/$APP" ] || fail "no state directory for $APP"
step "after the restart: same streams, tables and query ids; the count goes on from 3 to 4"

# A running query upgraded in place (CREATE OR REPLACE with a filter added,
# as ksqlDB upgrades queries; ksqlDB allows a filter on a column the
# aggregation reads already): the same id and application, so its count
# state and committed offsets are kept, and its internal topics and stores
# keep their names (the WHERE adds no node before them).
topic_names() { sl_run kcat -b "127.0.0.1:$port" -L 2>/dev/null | grep -oE "\"$APP-[^\"]*\"" | sort -u; }
topics_before=$(topic_names)
# (the store's changelog and the repartition topic)
grep -q "STATE-STORE-.*-changelog" <<<"$topics_before" && grep -q -- "-repartition" <<<"$topics_before" ||
    fail "internal topics of $APP: $topics_before"
send "CREATE OR REPLACE TABLE per_user WITH (KAFKA_TOPIC='per_user') AS" \
     "  SELECT user, COUNT(*) AS n FROM clicks WHERE user <> 'mallory' GROUP BY user;" \
     "SHOW QUERIES;"
until_out "Created query with ID CTAS_PER_USER_0"
grep -qF "CTAS_PER_USER_1" "$OUT" && fail "the upgrade made a new query:"$'\n'"$(cat "$OUT")"
send "INSERT INTO clicks (id, user, page) VALUES (6, 'mallory', 'home');" \
     "INSERT INTO clicks (id, user, page) VALUES (6, 'alice', 'home');"
until_record per_user 'alice={"N":5}'
sleep 1
! table per_user | grep -q '^mallory=' || fail "mallory was counted: $(table per_user)"
[ "$(table per_user | grep -c '^alice=')" -le 5 ] || fail "per_user: $(table per_user)"
[ "$(topic_names)" = "$topics_before" ] ||
    fail "internal topics changed: $topics_before -> $(topic_names)"
sleep 3 # past a commit
stop_shell
# The restart replays the upgraded statement, not the old one.
start_shell 3
send "SHOW QUERIES;" \
     "INSERT INTO clicks (id, user, page) VALUES (7, 'mallory', 'faq');" \
     "INSERT INTO clicks (id, user, page) VALUES (7, 'alice', 'faq');"
until_out "CTAS_PER_USER_0 +\| RUNNING +\| PER_USER"
until_record per_user 'alice={"N":6}'
sleep 1
! table per_user | grep -q '^mallory=' || fail "after the restart, mallory counted: $(table per_user)"
[ "$(table per_user | grep -c '^alice=')" -le 6 ] || fail "per_user: $(table per_user)"
[ "$(topic_names)" = "$topics_before" ] ||
    fail "internal topics changed: $topics_before -> $(topic_names)"
step "a query upgraded with a filter keeps its id, count, offsets and names, also after a restart"

# TERMINATE retires a query: its internal topics and state go, it stays
# terminated across a restart, and its table can then be dropped.
send "TERMINATE CTAS_PER_USER_0;"
until_out "Query terminated."
[ "$(internal_topics)" -eq 0 ] || fail "TERMINATE left $(internal_topics) internal topics of $APP"
[ ! -d "$DATA/streams/$APP" ] || fail "TERMINATE left the state directory"
stop_shell
start_shell 4
send "SHOW QUERIES;" "DROP TABLE per_user DELETE TOPIC;" "SHOW TABLES;"
until_out "Table dropped."
stop_shell
sed -n '/Query ID/,/Table dropped/p' "$OUT" | grep -qE "CSAS_FAQ_CLICKS_1 +\| RUNNING" ||
    fail "the other query did not come back:"$'\n'"$(cat "$OUT")"
! grep -qF "CTAS_PER_USER_0" "$OUT" || fail "the terminated query came back:"$'\n'"$(cat "$OUT")"
step "TERMINATE removes the internal topics and state; the query stays terminated"
