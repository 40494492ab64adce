-- REDUCE over a NULL array or map gives the initial state (ksqlDB's Reduce); a NULL state still gives NULL.
CREATE STREAM s (a ARRAY<INT>, m MAP<STRING, INT>, init INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT REDUCE(a, init, (s, x) => s + x) AS ra, REDUCE(m, init, (s, k, v) => s + v) AS rm FROM s;
