-- ROUND(DOUBLE) is BIGINT with ties up (-1.5 gives -1); ROUND(DOUBLE, n) is DOUBLE and a
-- negative n rounds left of the point (ksqlDB's math tests).
CREATE STREAM s (v DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ROUND(v) AS r0, ROUND(v, 0) AS r00, ROUND(v, 1) AS r1, ROUND(v, 2) AS r2, ROUND(v, 10) AS r10, ROUND(v, -1) AS rn1, ROUND(v, -2) AS rn2 FROM s;
