-- GROUP BY over a table: a row that moves to another group leaves the old
-- one first (the subtractor), a deleted row leaves its group.
CREATE TABLE users (id INT PRIMARY KEY, region STRING, score INT) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE per_region AS
  SELECT region, COUNT(*) AS n, SUM(score) AS total, AVG(score) AS mean, COLLECT_LIST(id) AS ids
  FROM users GROUP BY region;
