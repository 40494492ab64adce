-- NULLIF is NULL when the arguments are equal, else the first.
CREATE STREAM s (a INT, b INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT NULLIF(a, b) AS n FROM s;
