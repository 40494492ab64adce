-- GROUP BY over a windowed stream (ksqlDB re-keys it to a key without a
-- window): the windows come off the key; WINDOWSTART and WINDOWEND are
-- columns that WHERE, the grouping and the aggregates read.
CREATE STREAM s (k STRING KEY, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='Tumbling', WINDOW_SIZE='30 SECONDS');
CREATE TABLE o AS SELECT k, COUNT(*) AS n, SUM(v) AS total, COLLECT_LIST(WINDOWSTART) AS starts, MAX(WINDOWEND) AS last_end FROM s WHERE WINDOWSTART < 60000 GROUP BY k;
CREATE TABLE by_start AS SELECT WINDOWSTART AS ws, COUNT(*) AS n FROM s GROUP BY WINDOWSTART;
