-- FIELD is 0 when absent or NULL; ELT is NULL out of range.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT FIELD(x, 'a', 'b', 'c') AS f, ELT(2, 'a', 'b', 'c') AS e, ELT(4, 'a', 'b', 'c') AS n, ELT(0, 'a') AS z FROM s;
