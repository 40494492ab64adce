-- Re-keyed by the join's own key column, aliased (ksqlDB's "partition by key
-- in join on key"): the key is named LK, and R.K (which also holds the join
-- key) stays a value column R_K. INSERT INTO a stream of the same columns
-- takes the re-keyed rows too.
CREATE STREAM l (k STRING KEY, a STRING, b STRING) WITH (KAFKA_TOPIC='LEFT', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (k STRING KEY, c STRING, d STRING) WITH (KAFKA_TOPIC='RIGHT', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM output AS SELECT l.k AS lk, r.k FROM l JOIN r WITHIN 10 SECONDS ON l.k = r.k PARTITION BY l.k;
INSERT INTO output SELECT r.d AS lk, l.b AS r_k FROM l JOIN r WITHIN 10 SECONDS ON l.a = r.c PARTITION BY r.d;
