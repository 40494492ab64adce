-- Struct fields match JSON names case-insensitively, except quoted ones.
CREATE STREAM s (st STRUCT<Name STRING, `Zip` INT>, m MAP<STRING, INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT st, st->Name AS n, m['Ab'] AS ab FROM s;
