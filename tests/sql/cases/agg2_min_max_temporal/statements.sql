-- MIN and MAX of STRING (code-point order), DATE and TIME, NULLs skipped.
CREATE STREAM s (id INT KEY, g STRING, name STRING, dt DATE, at TIME) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, MIN(name) AS first_name, MAX(name) AS last_name, MIN(dt) AS first_day, MAX(at) AS latest_at FROM s GROUP BY g;
