-- A bare-value source; its result has two columns, wrapped again.
CREATE STREAM s (k STRING KEY, a INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', WRAP_SINGLE_VALUE=false, PARTITIONS=1);
CREATE STREAM t AS SELECT k, a, a * 2 AS b FROM s;
