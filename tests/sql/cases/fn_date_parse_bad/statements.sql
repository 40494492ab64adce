-- Text that does not match the pattern: the column is NULL, the row still goes out.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT x, PARSE_DATE(x, 'yyyy-MM-dd') AS d FROM s;
