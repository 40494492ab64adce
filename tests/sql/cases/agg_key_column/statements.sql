-- Aggregate arguments over the source's key column: grouped by the key (no
-- repartition) and by a value column (the key travels in the repartition).
CREATE STREAM s (id BIGINT KEY, name STRING, v BIGINT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE by_id AS SELECT id, ABS(SUM(v) / COUNT(id)) * 10 AS avg10 FROM s GROUP BY id;
CREATE TABLE by_name AS SELECT name, MAX(id) AS top_id, SUM(id) AS ids FROM s GROUP BY name;
