-- Count and sum per user, through a repartition; HAVING keeps the busy ones.
CREATE STREAM orders (id BIGINT KEY, user STRING, amount DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE per_user AS
  SELECT user, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS biggest, AVG(amount) AS mean
  FROM orders WHERE amount > 0 GROUP BY user HAVING COUNT(*) >= 2 EMIT CHANGES;
