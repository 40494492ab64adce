-- A table function inside an expression of an aggregation over a join: the
-- same refusal.
CREATE STREAM l (k STRING KEY, arr ARRAY<INT>) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE u (id STRING PRIMARY KEY, g STRING) WITH (KAFKA_TOPIC='u', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT u.g, COUNT(*) AS n, ABS(EXPLODE(l.arr)) AS e FROM l JOIN u ON l.k = u.id GROUP BY u.g;
