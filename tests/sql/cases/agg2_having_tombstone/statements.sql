-- HAVING: a group that never passed emits nothing; one that passed and then
-- fails emits a tombstone; it comes back when it passes again.
CREATE STREAM s (id INT KEY, g STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, SUM(v) AS total FROM s GROUP BY g HAVING SUM(v) > 10;
