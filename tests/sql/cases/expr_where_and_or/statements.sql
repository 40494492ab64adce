-- WHERE with OR: a NULL comparison does not stop the other side.
CREATE STREAM s (a INT, b STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a, b FROM s WHERE a < 3 OR b = 'y';
