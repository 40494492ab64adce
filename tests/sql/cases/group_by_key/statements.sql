-- Grouping by the key itself needs no repartition; the result is the same.
CREATE STREAM orders (user STRING KEY, amount INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE totals AS SELECT user, SUM(amount) AS total, COUNT(*) AS n FROM orders GROUP BY user;
