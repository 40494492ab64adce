#!/usr/bin/env bash
# shell.sh — the SQL shell as scripts run it: `sluice -e`, `-f` and statements
# on stdin, in table and JSON output, on an embedded broker (its own data dir,
# a free port). Persistent queries, push queries with LIMIT, PRINT, SHOW,
# DESCRIBE, TERMINATE, DROP; errors end a script with status 1; and a real
# Kafka client (kcat) reads what the shell's queries wrote, over the port the
# shell's banner-less run listens on.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 1. A script: DDL, INSERT VALUES, a persistent query, push queries, PRINT.
cat > "$SL_TMP/setup.sql" <<'EOF'
-- pageviews per user
CREATE STREAM pageviews (id INT KEY, user STRING, page STRING)
  WITH (KAFKA_TOPIC='pageviews', VALUE_FORMAT='JSON', PARTITIONS=2);
INSERT INTO pageviews (id, user, page) VALUES (1, 'alice', 'home');
INSERT INTO pageviews (id, user, page) VALUES (2, 'bob', 'faq');
INSERT INTO pageviews (id, user, page) VALUES (3, 'alice', 'faq');
SET 'auto.offset.reset'='earliest';
DEFINE min = '1';
CREATE TABLE per_user AS SELECT user, COUNT(*) AS n FROM pageviews WHERE id >= ${min} GROUP BY user;
SHOW STREAMS;
SHOW TABLES;
SHOW QUERIES;
DESCRIBE per_user;
SELECT id, UCASE(user) AS who FROM pageviews WHERE page = 'faq' EMIT CHANGES LIMIT 2;
SELECT * FROM per_user WHERE n = 2 EMIT CHANGES LIMIT 1;
-- Pull queries read committed state, which follows a table's output by a
-- moment: they come at the end, after other statements.
CREATE STREAM timed (id INT KEY, user STRING) WITH (KAFKA_TOPIC='timed', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE per_min AS SELECT user, COUNT(*) AS n FROM timed WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user;
CREATE TABLE busy_min AS SELECT user, n, WINDOWEND AS until FROM per_min WHERE n > 1;
INSERT INTO timed (id, user, ROWTIME) VALUES (1, 'alice', 1000);
INSERT INTO timed (id, user, ROWTIME) VALUES (2, 'alice', 2000);
INSERT INTO timed (id, user, ROWTIME) VALUES (3, 'alice', 61000);
PRINT per_min FROM BEGINNING LIMIT 2;
SELECT * FROM per_min WHERE n = 2 EMIT CHANGES LIMIT 1;
DESCRIBE EXTENDED pageviews;
DESCRIBE FUNCTION UCASE;
DESCRIBE FUNCTION latest_by_offset;
SHOW FUNCTIONS;
DESCRIBE per_min;
CREATE STREAM sessions (user STRING KEY, n BIGINT) WITH (KAFKA_TOPIC='sessions', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='SESSION');
DESCRIBE sessions;
SHOW TOPICS;
EXPLAIN CTAS_PER_USER_0;
EXPLAIN SELECT id, page FROM pageviews WHERE user = 'bob' EMIT CHANGES;
CREATE TYPE address AS STRUCT<street STRING, zip INT>;
SHOW TYPES;
PRINT busy_min FROM BEGINNING LIMIT 1;
SELECT * FROM per_min;
SELECT n FROM per_min WHERE user = 'alice' AND WINDOWSTART >= 60000;
SELECT * FROM per_user WHERE user = 'alice';
SELECT user, n * 10 AS tens FROM per_user WHERE n < 5;
SELECT * FROM per_user WHERE user = 'nobody';
SELECT UCASE(page) AS loud FROM pageviews WHERE user = 'alice';
SELECT user AS ranged, n FROM per_user WHERE user BETWEEN 'a' AND 'b';
CREATE TABLE users (id INT PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
INSERT INTO users (id, name) VALUES (7, 'Ann');
CREATE SOURCE TABLE users_src (id INT PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON');
PRINT users FROM BEGINNING LIMIT 1;
EOF
out=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d1" --listen none -f "$SL_TMP/setup.sql") ||
    fail "the script failed: $out"
for want in "Stream created" "Created query with ID CTAS_PER_USER_0" " PAGEVIEWS " " PER_USER " \
            "CTAS_PER_USER_0 | RUNNING | PER_USER" "USER  | STRING (primary key)" "Limit Reached"; do
    grep -qF -- "$want" <<<"$out" || fail "the output lacks '$want':"$'\n'"$out"
done
grep -qF "key: [alice@0/60000], value: {\"N\":2}" <<<"$out" && grep -qF "Key format: WINDOWED KAFKA" <<<"$out" ||
    fail "PRINT of a windowed table's topic: its keys as ksqlDB shows them:"$'\n'"$out"
grep -qE '^\|alice +\|0 +\|60000 +\|2 +\|$' <<<"$out" ||
    fail "no push query row of a windowed table (key, WINDOWSTART, WINDOWEND, value):"$'\n'"$out"
rows=$(grep -cE '^\|(2|3) +\|(BOB|ALICE) +\|$' <<<"$out" || true)
[ "$rows" -eq 2 ] || fail "the push query did not give its 2 rows:"$'\n'"$out"
step "script: DDL, INSERT VALUES, CTAS, SHOW, DESCRIBE, a push query with LIMIT"
# Pull queries: a key lookup, a scan with a projection, a missing key.
grep -qE '^ alice +\| 2 +$' <<<"$out" || fail "no pull lookup of alice:"$'\n'"$out"
grep -qE '^ bob +\| 10 +$' <<<"$out" && grep -qE '^ alice +\| 20 +$' <<<"$out" ||
    fail "no pull scan:"$'\n'"$out"
[ "$(grep -cE '^ USER +\| (N|TENS) +$' <<<"$out")" -eq 3 ] || fail "not three pull results:"$'\n'"$out"
[ "$(grep -cE '^\|(HOME|FAQ) +\|$' <<<"$out")" -eq 2 ] && grep -qE '^\|LOUD +\|$' <<<"$out" ||
    fail "no pull query rows of a stream (what it holds now):"$'\n'"$out"
grep -qE '^ RANGED +\| N +$' <<<"$out" && [ "$(grep -A3 '^ RANGED ' <<<"$out" | grep -cE '^ (alice|bob) ')" -eq 1 ] ||
    fail "a key-range pull query:"$'\n'"$out"
step "pull queries: key lookup, scan with WHERE and projection, no row"
for want in "Queries that read from this STREAM : [CTAS_PER_USER_0]" "CTAS_PER_USER_0 (RUNNING, started" \
            "lag on pageviews-0: " "lag on pageviews-1: " \
            "UCASE(STRING)" " pageviews  " "Type        : AGGREGATE" \
            "LATEST_BY_OFFSET(T, INT, BOOLEAN) | ARRAY<T>"; do
    grep -qF -- "$want" <<<"$out" || fail "the output lacks '$want':"$'\n'"$out"
done
grep -qE '^ COUNT +\| AGGREGATE +$' <<<"$out" && grep -qE '^ EXPLODE +\| TABLE +$' <<<"$out" &&
    grep -qE '^ UCASE +\| STRING +$' <<<"$out" || fail "SHOW FUNCTIONS: scalar, aggregate and table functions:"$'\n'"$out"
grep -qE "records in: +[1-9]" <<<"$out" && grep -qE "records out: +[1-9]" <<<"$out" ||
    fail "no records in and out:"$'\n'"$out"
grep -qF "USER  | STRING (primary key) (Window type: TUMBLING)" <<<"$out" &&
    grep -qF "USER  | STRING (key) (Window type: SESSION)" <<<"$out" ||
    fail "DESCRIBE of windowed sources (CTAS-made, WINDOW_TYPE): the key's window type:"$'\n'"$out"
step "DESCRIBE EXTENDED (queries, records, lag per partition), DESCRIBE FUNCTION, SHOW TOPICS"
for want in "Execution plan" "> [ AGGREGATE ] | GROUP BY USER" "> [ SOURCE ] | PAGEVIEWS" \
            "CTAS_PER_USER_0-KSTREAM-AGGREGATE-STATE-STORE-" "-repartition" \
            "Query Type           : PUSH" "> [ FILTER ] | WHERE USER = 'bob'"; do
    grep -qF -- "$want" <<<"$out" || fail "EXPLAIN: no '$want':"$'\n'"$out"
done
step "EXPLAIN a query id and a statement: plan and topology (operators, stores, topics)"
grep -qE '^ ADDRESS +\| STRUCT<`STREET` STRING, `ZIP` INTEGER> +$' <<<"$out" || fail "SHOW TYPES:"$'\n'"$out"
grep -qE '^ alice +\| 0 +\| 60000 +\| 2 +$' <<<"$out" && grep -qE '^ alice +\| 60000 +\| 120000 +\| 1 +$' <<<"$out" ||
    fail "no windowed pull rows:"$'\n'"$out"
[ "$(grep -cE '^ N +$' <<<"$out")" -eq 1 ] && grep -qE '^ 1 +$' <<<"$out" ||
    fail "no WINDOWSTART-bounded pull:"$'\n'"$out"
step "pull queries on a windowed table, by WINDOWSTART"
# A table derived from a windowed table: its state, committed when the
# shell closed, read after a restart (the queries resume).
out=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d1" --listen none -e "SELECT user, until FROM busy_min;") ||
    fail "the restart failed: $out"
grep -qE '^ alice +\| 60000 +$' <<<"$out" ||
    fail "no pull query row of a table derived from a windowed table:"$'\n'"$out"
step "a table derived from a windowed table keeps the windows; pull after a restart"
# A SOURCE TABLE is materialized by a query of its own (CST_…) for pull
# queries; its rows come as that query reads the topic (eventually: a few
# restarts at most).
for _ in 1 2 3 4 5; do
    src=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d1" --listen none -e "SELECT name FROM users_src WHERE id = 7; SHOW QUERIES;") ||
        fail "the restart failed: $src"
    grep -qE '^ Ann +$' <<<"$src" && break
done
grep -qE '^ Ann +$' <<<"$src" && grep -qE '^ CST_USERS_SRC_[0-9]+ +\| RUNNING +\| USERS_SRC' <<<"$src" ||
    fail "no pull query of a SOURCE TABLE (materialized by its CST query):"$'\n'"$src"
out=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d1" --listen none -e "DROP TABLE users_src; SHOW QUERIES;") ||
    fail "DROP of a source table: $out"
! grep -q "CST_USERS_SRC" <<<"$out" || fail "the CST query outlived its table:"$'\n'"$out"
step "CREATE SOURCE TABLE: materialized, answers pull queries; DROP ends its query"

# 2. JSON output, one object per row; statements on stdin.
json=$(printf '%s\n' \
    "CREATE STREAM s (k STRING KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);" \
    "INSERT INTO s (k, v) VALUES ('a', 1);" "INSERT INTO s (k, v) VALUES ('b', 2);" \
    "SET 'auto.offset.reset'='earliest';" \
    "SELECT k, v * 10 AS w FROM s EMIT CHANGES LIMIT 2;" \
    "SELECT v FROM s EMIT CHANGES LIMIT 2;" \
    "SELECT COUNT(*) AS n FROM s GROUP BY k EMIT CHANGES LIMIT 2;" \
    "CREATE TABLE names (k STRING PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='names', VALUE_FORMAT='JSON', PARTITIONS=1);" \
    "INSERT INTO names (k, name) VALUES ('a', 'Ann');" "INSERT INTO s (k, v) VALUES ('a', 3);" \
    "SELECT v, name FROM s JOIN names ON s.k = names.k EMIT CHANGES LIMIT 1;" |
    sl_run "$SLUICE" --data-dir "$SL_TMP/d2" --listen none --output json) || fail "json run: $json"
grep -qxF '{"K":"a","W":10}' <<<"$json" || fail "no JSON row for a:"$'\n'"$json"
grep -qxF '{"K":"b","W":20}' <<<"$json" || fail "no JSON row for b:"$'\n'"$json"
grep -qxF '{"V":2}' <<<"$json" && [ "$(grep -cxF '{"N":1}' <<<"$json")" -eq 2 ] ||
    fail "push queries without their key columns (ksqlDB's need none):"$'\n'"$json"
grep -qxF '{"V":3,"NAME":"Ann"}' <<<"$json" ||
    fail "a push query over a join without its key:"$'\n'"$json"
grep -qxF '{"message":"Stream created"}' <<<"$json" || fail "no JSON message:"$'\n'"$json"
step "JSON output from statements on stdin"

# Every command in JSON output: each line one JSON object.
cat > "$SL_TMP/all.sql" <<'EOF'
CREATE STREAM pv (id INT KEY, user STRING) WITH (KAFKA_TOPIC='pv', VALUE_FORMAT='JSON', PARTITIONS=1);
INSERT INTO pv (id, user) VALUES (1, 'a');
SET 'auto.offset.reset'='earliest';
CREATE TABLE per_user AS SELECT user, COUNT(*) AS n FROM pv GROUP BY user;
SELECT * FROM per_user EMIT CHANGES LIMIT 1;
DEFINE x = 'y';
CREATE TYPE t AS STRUCT<a INT>;
SHOW STREAMS; SHOW TABLES; SHOW QUERIES; SHOW TOPICS; SHOW FUNCTIONS; SHOW TYPES;
SHOW PROPERTIES; SHOW VARIABLES;
DESCRIBE pv; DESCRIBE EXTENDED per_user; DESCRIBE FUNCTION ABS;
EXPLAIN CTAS_PER_USER_0; EXPLAIN SELECT * FROM pv EMIT CHANGES;
PRINT pv FROM BEGINNING LIMIT 1;
SELECT * FROM per_user WHERE user = 'a';
TERMINATE CTAS_PER_USER_0;
UNSET 'auto.offset.reset';
EOF
json=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d2b" --listen none --output json -f "$SL_TMP/all.sql") ||
    fail "JSON run of every command: $json"
python3 - "$json" <<'PY' || fail "not JSON lines:"$'\n'"$json"
import json, sys
keys = set()
for line in sys.argv[1].splitlines():
    keys |= set(json.loads(line))
want = {"message", "Stream Name", "Table Name", "Query ID", "Kafka Topic", "Function Name",
        "Type Name", "Property", "Variable Name", "Field", "recordsProcessed", "recordsOut", "lag",
        "Variation", "explain", "rowtime", "USER", "N"}
missing = want - keys
if missing:
    sys.exit("missing: %s" % sorted(missing))
PY
step "JSON output of every command: one object per line"

# refused DATA_DIR SQL MESSAGE WHAT: the statements fail with status 1 and
# MESSAGE (a fixed string) on stderr.
refused() {
    local rc=0
    sl_run "$SLUICE" --data-dir "$SL_TMP/$1" --listen none -e "$2" >/dev/null 2>"$SL_TMP/refused.err" || rc=$?
    [ "$rc" -eq 1 ] && grep -qF -- "$3" "$SL_TMP/refused.err" ||
        fail "$4: status $rc:"$'\n'"$(cat "$SL_TMP/refused.err")"
}

# 3. A failing statement: its error on stderr, status 1, the rest not run.
rc=0
sl_run "$SLUICE" --data-dir "$SL_TMP/d3" --listen none -e \
    "CREATE STREAM s (k STRING KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
     SELECT nope FROM s EMIT CHANGES; SHOW STREAMS;" >"$SL_TMP/e.out" 2>"$SL_TMP/e.err" || rc=$?
[ "$rc" -eq 1 ] || fail "a failing statement gave status $rc"
grep -qF "line 1:8: SELECT column 'NOPE' cannot be resolved." "$SL_TMP/e.err" ||
    fail "the error is not ksqlDB's:"$'\n'"$(cat "$SL_TMP/e.err")"
! grep -q "Stream Name" "$SL_TMP/e.out" || fail "statements after the failing one ran"
refused d3 "CREATE STREAM oops (;" "line 1:21" "a parse error"
rc=0
sl_run "$SLUICE" --data-dir "$SL_TMP/d3b" --listen none -e \
    "CREATE TABLE t (k STRING PRIMARY KEY, v INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1);
     CREATE TABLE t2 AS SELECT k, v FROM t;
     SET 'ksql.query.pull.table.scan.enabled'='false';
     SELECT * FROM t2 WHERE k = 'a';
     SELECT * FROM t2 WHERE k >= 'a' AND k < 'b';
     SELECT * FROM t2;" >"$SL_TMP/scan.out" 2>"$SL_TMP/scan.err" || rc=$?
[ "$rc" -eq 1 ] && grep -qF "'ksql.query.pull.table.scan.enabled' is false" "$SL_TMP/scan.err" ||
    fail "a scan with scans disabled: status $rc:"$'\n'"$(cat "$SL_TMP/scan.err")"
# The key lookup and the key range ran (no scan): two result headers.
[ "$(grep -cE '^ K +\| V +$' "$SL_TMP/scan.out")" -eq 2 ] ||
    fail "a key lookup and a key range with scans disabled:"$'\n'"$(cat "$SL_TMP/scan.out")"
refused d3c "SET 'ksql.streams.num.stream.threads'='2'; SET 'processing.guarantee'='exactly_twice';" \
    "Invalid value 'exactly_twice' for property 'processing.guarantee'" "a bad SET value"
step "errors: ksqlDB's message, exit status 1, the script stops"

# 4. A busy port is a clear error that suggests --listen.
port=$(free_port)
python3 -c "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',$port)); s.listen(); time.sleep(30)" &
holder=$!
SL_PIDS+=("$holder")
for _ in $(seq 50); do ss -ltn | grep -q ":$port " && break; sleep 0.1; done
rc=0
sl_run "$SLUICE" --data-dir "$SL_TMP/d4" --listen "127.0.0.1:$port" -e "SHOW STREAMS;" \
    >/dev/null 2>"$SL_TMP/busy.err" || rc=$?
[ "$rc" -ne 0 ] && grep -q -- "--listen" "$SL_TMP/busy.err" ||
    fail "a busy port: status $rc:"$'\n'"$(cat "$SL_TMP/busy.err")"
kill "$holder"; wait "$holder" 2>/dev/null || true; sl_forget_pid "$holder"
step "a busy port: an error naming --listen"

# 5. TERMINATE, DROP … DELETE TOPIC, PRINT; a real client reads the shell's topics.
port=$(free_port)
cat > "$SL_TMP/life.sql" <<'EOF'
CREATE STREAM src (id INT KEY, v INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON', PARTITIONS=1);
SET 'auto.offset.reset'='earliest';
CREATE STREAM doubled AS SELECT id, v * 2 AS v2 FROM src;
INSERT INTO src (id, v) VALUES (7, 21);
SELECT * FROM doubled EMIT CHANGES LIMIT 1;
PRINT doubled FROM BEGINNING LIMIT 1;
DROP STREAM src;
TERMINATE CSAS_DOUBLED_0;
SHOW QUERIES;
DROP STREAM doubled DELETE TOPIC;
SHOW STREAMS;
EOF
out=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d5" --listen "127.0.0.1:$port" -f "$SL_TMP/life.sql" 2>&1) &&
    fail "DROP of a stream a query reads must fail the script:"$'\n'"$out"
grep -qF "Cannot drop SRC." <<<"$out" || fail "no DROP refusal:"$'\n'"$out"
grep -qF '"V2":42' <<<"$out" || fail "PRINT did not show the record:"$'\n'"$out"
sed -i '/^DROP STREAM src;/d' "$SL_TMP/life.sql"
out=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d6" --listen "127.0.0.1:$port" -f "$SL_TMP/life.sql") ||
    fail "the query's life: $out"
grep -qF "Query terminated." <<<"$out" || fail "no TERMINATE answer:"$'\n'"$out"
grep -qF "Stream dropped." <<<"$out" || fail "no DROP answer:"$'\n'"$out"
! grep -qF " DOUBLED " <<<"$(sed -n '/Stream Name/,$p' <<<"$out")" || fail "DOUBLED still listed:"$'\n'"$out"
step "TERMINATE, then DROP … DELETE TOPIC; PRINT shows the query's record"

# kcat, a real Kafka client, on the port of a shell that keeps running (stdin open).
port=$(free_port)
mkfifo "$SL_TMP/in"
"$SLUICE" --data-dir "$SL_TMP/d7" --listen "127.0.0.1:$port" <"$SL_TMP/in" >"$SL_TMP/live.out" 2>&1 &
shell_pid=$!
SL_PIDS+=("$shell_pid")
exec 7>"$SL_TMP/in"
cat >&7 <<'EOF'
CREATE STREAM src (id INT KEY, v INT) WITH (KAFKA_TOPIC='src', VALUE_FORMAT='JSON', PARTITIONS=1, RETENTION_MS=3600000);
SET 'auto.offset.reset'='earliest';
CREATE STREAM doubled WITH (KAFKA_TOPIC='doubled', PARTITIONS=2, RETENTION_MS=60000) AS SELECT id, v * 2 AS v2 FROM src;
EOF
for _ in $(seq 100); do grep -q "Created query" "$SL_TMP/live.out" && break; sleep 0.1; done
printf '{"V":5}\n' | sl_run kcat -b "127.0.0.1:$port" -P -t src ||
    fail "kcat could not produce to the shell's broker"
got=$(sl_run kcat -b "127.0.0.1:$port" -C -t doubled -o beginning -c 1 -e -f '%s\n' 2>/dev/null) ||
    fail "kcat could not consume"
[ "$got" = '{"V2":10}' ] || fail "kcat read '$got' from the query's topic"
# WITH (PARTITIONS, RETENTION_MS) made the topics so.
desc=$("$SLUICE" topic describe src --bootstrap "127.0.0.1:$port" 2>&1)
grep -qF "Configs: retention.ms=3600000" <<<"$desc" || fail "src's topic: $desc"
desc=$("$SLUICE" topic describe doubled --bootstrap "127.0.0.1:$port" 2>&1)
grep -qF "PartitionCount: 2" <<<"$desc" && grep -qF "retention.ms=60000" <<<"$desc" ||
    fail "the CSAS sink's topic: $desc"
exec 7>&-
wait "$shell_pid" || fail "the shell ended with $?:"$'\n'"$(cat "$SL_TMP/live.out")"
sl_forget_pid "$shell_pid"
step "kcat produces to a shell's stream and reads its query's topic"

# 5b. CREATE OR REPLACE of a stream a running query reads, a column added
# (as ksqlDB allows): that query keeps the columns it was made with, a query
# made after reads the new one; a restart replays the catalog so; a change
# that drops a column is refused with ksqlDB's message.
cat > "$SL_TMP/evolve.sql" <<'EOF'
CREATE STREAM ev (id INT KEY, a STRING) WITH (KAFKA_TOPIC='ev', VALUE_FORMAT='JSON', PARTITIONS=1);
SET 'auto.offset.reset'='earliest';
CREATE STREAM ev_old AS SELECT * FROM ev;
CREATE OR REPLACE STREAM ev (id INT KEY, a STRING, b STRING) WITH (KAFKA_TOPIC='ev', VALUE_FORMAT='JSON');
CREATE STREAM ev_new AS SELECT * FROM ev;
INSERT INTO ev (id, a, b) VALUES (1, 'x', 'y');
SELECT * FROM ev_old EMIT CHANGES LIMIT 1;
SELECT * FROM ev_new EMIT CHANGES LIMIT 1;
EOF
json=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d9" --listen none --output json -f "$SL_TMP/evolve.sql" 2>&1) ||
    fail "OR REPLACE of a stream a query reads: $json"
grep -qxF '{"ID":1,"A":"x"}' <<<"$json" && grep -qxF '{"ID":1,"A":"x","B":"y"}' <<<"$json" ||
    fail "the queries made before and after the OR REPLACE:"$'\n'"$json"
json=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d9" --listen none --output json -e \
    "SET 'auto.offset.reset'='earliest'; INSERT INTO ev (id, a, b) VALUES (2, 'p', 'q');
     SELECT * FROM ev_old EMIT CHANGES LIMIT 2; SELECT * FROM ev_new EMIT CHANGES LIMIT 2;" 2>&1) ||
    fail "the restart after an OR REPLACE: $json"
! grep -q "catalog:" <<<"$json" && grep -qxF '{"ID":2,"A":"p"}' <<<"$json" &&
    grep -qxF '{"ID":2,"A":"p","B":"q"}' <<<"$json" ||
    fail "after a restart, each query with its own columns:"$'\n'"$json"
refused d9 "CREATE OR REPLACE STREAM ev (id INT KEY, a STRING) WITH (KAFKA_TOPIC='ev', VALUE_FORMAT='JSON');" \
    '(The following columns are changed or missing: [`B` STRING])' "OR REPLACE dropping a column"
step "OR REPLACE of a stream a query reads: old and new queries, replayed on restart; refusals"

# 5c. GROUP BY over a windowed table, or a join of windowed tables, in a push
# query (ksqlDB allows it there): the windows come off the key; WINDOWSTART
# and WINDOWEND are columns the grouping, WHERE and the aggregates read. A
# persistent one stays refused. A windowed stream (over the table's topic) is
# grouped so in push and persistent queries alike.
cat > "$SL_TMP/wgroup.sql" <<'EOF'
CREATE STREAM timed (id INT KEY, user STRING, grp STRING) WITH (KAFKA_TOPIC='timed', VALUE_FORMAT='JSON', PARTITIONS=1);
SET 'auto.offset.reset'='earliest';
CREATE TABLE per_min AS SELECT user, LATEST_BY_OFFSET(grp) AS grp, COUNT(*) AS n FROM timed WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user;
CREATE TABLE ids_min AS SELECT user, MAX(id) AS last_id FROM timed WINDOW TUMBLING (SIZE 1 MINUTE) GROUP BY user;
INSERT INTO timed (id, user, grp, ROWTIME) VALUES (1, 'alice', 'g1', 1000);
INSERT INTO timed (id, user, grp, ROWTIME) VALUES (2, 'alice', 'g1', 2000);
INSERT INTO timed (id, user, grp, ROWTIME) VALUES (3, 'alice', 'g1', 61000);
INSERT INTO timed (id, user, grp, ROWTIME) VALUES (4, 'bob', 'g1', 62000);
SELECT grp, SUM(n) AS total, COUNT(*) AS windows, COLLECT_LIST(WINDOWSTART) AS starts, SUM(WINDOWEND - WINDOWSTART) AS span FROM per_min GROUP BY grp HAVING COUNT(*) = 3 EMIT CHANGES LIMIT 1;
SELECT WINDOWSTART AS ws, SUM(n) AS total FROM per_min WHERE WINDOWEND > 60000 GROUP BY WINDOWSTART HAVING SUM(n) > 1 EMIT CHANGES LIMIT 1;
SELECT p.grp, COUNT(*) AS rws, SUM(n) AS total, SUM(last_id) AS ids, SUM(i.WINDOWEND - p.WINDOWSTART) AS span FROM per_min p JOIN ids_min i ON p.user = i.user GROUP BY p.grp HAVING COUNT(*) = 3 AND SUM(n) = 4 AND SUM(last_id) = 9 EMIT CHANGES LIMIT 1;
SELECT WINDOWSTART AS ws, COUNT(*) AS users FROM per_min p JOIN ids_min i ON p.user = i.user WHERE i.WINDOWEND > 60000 GROUP BY WINDOWSTART HAVING COUNT(*) = 2 EMIT CHANGES LIMIT 1;
CREATE STREAM changes (user STRING KEY, grp STRING, n BIGINT) WITH (KAFKA_TOPIC='PER_MIN', VALUE_FORMAT='JSON', WINDOW_TYPE='TUMBLING', WINDOW_SIZE='1 MINUTE');
SELECT grp, COUNT(*) AS updates, COLLECT_LIST(WINDOWSTART) AS starts FROM changes GROUP BY grp HAVING COUNT(*) = 3 EMIT CHANGES LIMIT 1;
CREATE TABLE per_grp_end AS SELECT grp, MAX(WINDOWEND) AS last_end FROM changes GROUP BY grp;
SELECT * FROM per_grp_end WHERE last_end = 120000 EMIT CHANGES LIMIT 1;
EOF
json=$(sl_run "$SLUICE" --data-dir "$SL_TMP/d10" --listen none --output json -f "$SL_TMP/wgroup.sql" 2>&1) ||
    fail "GROUP BY over a windowed table in a push query: $json"
grep -qxF '{"GRP":"g1","TOTAL":4,"WINDOWS":3,"STARTS":[0,60000,60000],"SPAN":180000}' <<<"$json" &&
    grep -qxF '{"WS":60000,"TOTAL":2}' <<<"$json" ||
    fail "GROUP BY over a windowed table's rows, without their windows:"$'\n'"$json"
grep -qxF '{"P_GRP":"g1","RWS":3,"TOTAL":4,"IDS":9,"SPAN":180000}' <<<"$json" &&
    grep -qxF '{"WS":60000,"USERS":2}' <<<"$json" ||
    fail "GROUP BY over a join of windowed tables, without their windows:"$'\n'"$json"
grep -qxF '{"GRP":"g1","UPDATES":3,"STARTS":[0,60000,60000]}' <<<"$json" &&
    grep -qxF '{"GRP":"g1","LAST_END":120000}' <<<"$json" ||
    fail "GROUP BY over a windowed stream, push and persistent:"$'\n'"$json"
refused d10 "CREATE TABLE per_grp AS SELECT grp, SUM(n) AS total FROM per_min GROUP BY grp;" \
    "KSQL does not support persistent queries on windowed tables." "a persistent GROUP BY over a windowed table"
step "GROUP BY over a windowed table or join in a push query (refused in a persistent one); over a windowed stream"

# 6. The interactive shell in a terminal (tmux): a statement over two lines,
# its answer as a table, a push query ended by Ctrl-C, the shell still
# answering, Ctrl-C at the prompt dropping a half-typed statement, EXIT.
T="tmux -L sluice-test-$$"
$T new-session -d -s sh -x 160 -y 60 \
    "$SLUICE --data-dir $SL_TMP/d8 --listen none; echo SHELL-EXIT=\$?; sleep 60"
SL_PIDS+=("$($T display-message -p '#{pid}')") # the tmux server: stopped on exit
# type LINE [noend] — types a line (with its ';' unless noend) and Enter. A ';'
# is sent on its own: tmux would read a trailing one as its command separator.
type() { $T send-keys -t sh -l "$1"; [ -n "${2:-}" ] || $T send-keys -t sh '\;'; $T send-keys -t sh Enter; }
screen() { $T capture-pane -t sh -p -S -200; }
# until_screen TEXT — waits (up to 30 s) for TEXT on the screen.
until_screen() {
    for _ in $(seq 300); do screen | grep -qF -- "$1" && return 0; sleep 0.1; done
    fail "the screen never showed '$1':"$'\n'"$(screen)"
}
until_screen "sluice>"
type "CREATE STREAM s (k STRING KEY, v INT)" noend
type "  WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1)"
until_screen "Stream created"
type "INSERT INTO s (k, v) VALUES ('a', 1)"
type "SET 'auto.offset.reset'='earliest'"
until_screen "Successfully changed local property"
type "SELECT * FROM s EMIT CHANGES"
until_screen "|a                  |1                  |"
$T send-keys -t sh C-c
until_screen "Query terminated"
$T send-keys -t sh -l "SHOW STRE"
$T send-keys -t sh C-c
type "SHOW STREAMS"
until_screen " S           | s           | KAFKA      | JSON         | false"
$T send-keys -t sh -l "SHOW QUERI"
$T send-keys -t sh Tab # completes QUERIES
type ""
until_screen " Query ID | Status | Sink Name"
type "CREATE STREAM clicks_by_user (k STRING KEY, visits INT) WITH (KAFKA_TOPIC='cbu', VALUE_FORMAT='JSON', PARTITIONS=1)"
until_screen "Stream created"
# Tab completes a stream's name, a column and a function.
$T send-keys -t sh -l "DESCRIBE CLICKS_B"
$T send-keys -t sh Tab
type ""
until_screen "Name                 : CLICKS_BY_USER"
$T send-keys -t sh -l "SELECT UCA"
$T send-keys -t sh Tab
$T send-keys -t sh -l "(k), VISI"
$T send-keys -t sh Tab
$T send-keys -t sh -l " FROM clicks_by_user"
$T send-keys -t sh '\;'
until_screen "SELECT UCASE (k), VISITS" # (a completed word gets a space after it)
$T send-keys -t sh Enter
until_screen "|KSQL_COL_0         |VISITS             |" # a pull query on the (empty) stream
type "EXIT" noend
until_screen "SHELL-EXIT=0"
# Had Ctrl-C kept "SHOW STRE", the next line would have read "SHOW STRESHOW STREAMS;".
! screen | grep -qE "STRESHOW|mismatched input" || fail "Ctrl-C at the prompt kept the line:"$'\n'"$(screen)"
step "interactive: two-line statement, table, Ctrl-C ends a push query, not the shell, Tab completes"
