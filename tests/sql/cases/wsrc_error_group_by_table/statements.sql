-- GROUP BY over a windowed table: refused as ksqlDB refuses persistent queries over one.
CREATE TABLE t (k STRING PRIMARY KEY, v INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='Session');
CREATE TABLE o AS SELECT v, COUNT(*) AS n FROM t GROUP BY v;
