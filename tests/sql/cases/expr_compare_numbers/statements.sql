-- Comparisons across numeric types; with a NULL operand every comparison is FALSE, as in ksqlDB's generated code.
CREATE STREAM s (a INT, b DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a = b AS eq, a <> b AS ne, a != b AS ne2, a < b AS lt, a <= b AS le, a > b AS gt, a >= b AS ge FROM s;
