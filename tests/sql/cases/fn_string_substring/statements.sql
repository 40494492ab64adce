-- SUBSTRING: 1-based, negative positions count from the end, past the end is empty.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT SUBSTRING(x, 1, 4) AS a, SUBSTRING(x, 3) AS b, SUBSTRING(x, -3) AS c, SUBSTRING(x, -3, 2) AS d, SUBSTRING(x, 10) AS e FROM s;
