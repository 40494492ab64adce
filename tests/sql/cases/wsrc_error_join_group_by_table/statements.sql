-- A persistent GROUP BY over a join that reads a windowed table (here the
-- right side of a stream-table join): refused as ksqlDB refuses every
-- persistent query reading one (a join of windowed streams is grouped).
CREATE STREAM s (id INT KEY, a STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='SESSION');
CREATE TABLE t (id INT PRIMARY KEY, b STRING) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='SESSION');
CREATE TABLE g AS SELECT b, COUNT(*) AS n FROM s JOIN t ON s.id = t.id GROUP BY b;
