-- Simple CASE compares the operand with each WHEN.
CREATE STREAM s (c STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT CASE c WHEN 'r' THEN 'red' WHEN 'g' THEN 'green' ELSE 'other' END AS colour FROM s;
