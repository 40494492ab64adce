-- A table over windowed keys (HOPPING): rows are per key and window, a
-- tombstone deletes one window's row; CREATE TABLE AS SELECT without GROUP BY
-- keeps the windows (Sluice allows it; ksqlDB refuses every persistent query
-- over a windowed table).
CREATE TABLE t (k STRING PRIMARY KEY, n BIGINT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='HOPPING', WINDOW_SIZE='10 seconds');
CREATE TABLE o AS SELECT k, n + 1 AS n1, WINDOWSTART AS ws FROM t WHERE n > 0;
