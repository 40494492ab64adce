-- HAVING over aggregates that are not selected, and over a grouping column.
CREATE STREAM s (id INT KEY, g STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, COUNT(*) AS n FROM s GROUP BY g HAVING MAX(v) < 100 AND MIN(v) >= 0 AND g <> 'skip';
