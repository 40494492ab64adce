-- PARTITION BY on a stream-stream join re-keys the joined rows (ksqlDB's
-- "partition by non-Key in join on Key"): L.B selected is the key L_B, the
-- join's key columns L.K and R.K become value columns.
CREATE STREAM l (k STRING KEY, a STRING, b STRING) WITH (KAFKA_TOPIC='LEFT', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (k STRING KEY, c STRING, d STRING) WITH (KAFKA_TOPIC='RIGHT', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM output AS SELECT l.b, l.k, r.k FROM l JOIN r WITHIN 10 SECONDS ON l.k = r.k PARTITION BY l.b;
