-- DECIMAL arithmetic is exact.
CREATE STREAM s (a DECIMAL(4, 2), b DECIMAL(4, 2)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a + b AS s, a - b AS d, a * b AS p, a / b AS q, -a AS n FROM s;
