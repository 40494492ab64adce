-- String comparisons by code point: the empty string sorts first, a prefix before its
-- extensions, case matters; a NULL operand makes every comparison FALSE.
CREATE STREAM s (a STRING, b STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a < b AS lt, a <= b AS le, a = b AS eq, a <> b AS ne, a > b AS gt FROM s;
