-- An aggregate's result takes the latest time of its group so far (Kafka Streams'
-- timestamped stores): a record older than the group's last one gives a row at
-- the group's time, not its own.
CREATE STREAM s (id INT KEY, g STRING, v INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, COUNT(*) AS n, SUM(v) AS total FROM s GROUP BY g;
