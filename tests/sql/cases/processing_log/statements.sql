-- A record that is not JSON is skipped and logged; a value that cannot be
-- cast gives NULL and a log entry; the other records go through.
CREATE STREAM s (id INT KEY, a STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT id, CAST(a AS INT) AS n FROM s;
