-- IFNULL over INT, STRING and ARRAY: the first argument unless it is NULL; both NULL
-- gives NULL.
CREATE STREAM s (a INT, b INT, s STRING, arr ARRAY<INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT IFNULL(a, b) AS n, IFNULL(s, 'dflt') AS st, IFNULL(arr, ARRAY[0]) AS ar, IFNULL(a, 0) + 1 AS p FROM s;
