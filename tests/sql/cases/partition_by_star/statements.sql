-- SELECT * with PARTITION BY an expression: the new key (KSQL_COL_0) is
-- selected by the star, and the old key joins the values.
CREATE STREAM s (k STRING KEY, a INT, b STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT * FROM s PARTITION BY UCASE(b);
