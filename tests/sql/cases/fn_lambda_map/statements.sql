-- TRANSFORM, FILTER and REDUCE over maps.
CREATE STREAM s (m MAP<STRING, INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT TRANSFORM(m, (k, v) => UCASE(k), (k, v) => v + 1) AS t, FILTER(m, (k, v) => v > 1) AS f, REDUCE(m, 0, (s, k, v) => s + v) AS r FROM s;
