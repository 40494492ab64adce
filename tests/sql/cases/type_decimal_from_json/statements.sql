-- A DECIMAL column reads JSON integers, fractions and numeric strings.
CREATE STREAM s (a DECIMAL(10, 4)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a, a * 2 AS b FROM s;
