-- REDUCE with a NULL initial state is NULL (documented).
CREATE STREAM s (a ARRAY<INT>, init INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT REDUCE(a, init, (s, x) => s + x) AS r FROM s;
