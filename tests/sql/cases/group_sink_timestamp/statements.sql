-- WITH (TIMESTAMP) on an aggregation's result: each row of its changelog takes
-- its time from that column (ksqlDB's sink timestamp, after the aggregation).
CREATE STREAM s (k STRING KEY, v INT, ts BIGINT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t WITH (TIMESTAMP='ts') AS SELECT k, MAX(ts) AS ts, COUNT(*) AS n FROM s GROUP BY k;
