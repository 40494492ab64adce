-- Unaliased expressions are named KSQL_COL_n in the projection's order: the aliased key takes no number.
CREATE STREAM s (id INT KEY, g STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT UCASE(g) AS k, COUNT(*), SUM(v) FROM s GROUP BY UCASE(g);
