-- Array subscripts are 1-based, negative from the end; out of range is NULL.
CREATE STREAM s (a ARRAY<STRING>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a[1] AS first, a[2] AS second, a[-1] AS last, a[10] AS oob FROM s;
