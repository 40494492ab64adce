-- SPLIT keeps empty pieces; an empty delimiter splits into characters; no match gives the whole string.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT SPLIT(x, ',') AS a, SPLIT(x, '') AS b, SPLIT(x, '|') AS c FROM s;
