-- A struct column passes through; a missing field is NULL.
CREATE STREAM s (st STRUCT<A INT, B STRING>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT st FROM s;
