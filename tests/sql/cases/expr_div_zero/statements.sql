-- Integer division by zero fails: the column is NULL and the row still goes out.
CREATE STREAM s (a INT, b INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a, a / b AS q, a % b AS r FROM s;
