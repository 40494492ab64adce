-- Unaliased expressions are named KSQL_COL_n; a struct field keeps its name.
CREATE STREAM s (a INT, s STRUCT<F INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a + 1, UCASE('x'), s->F FROM s;
