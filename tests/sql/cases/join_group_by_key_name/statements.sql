-- The key column of a GROUP BY over a join is named A_X: a query on the result reads it so.
CREATE STREAM orders (id INT KEY, cust STRING, amount INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE customers (cid STRING PRIMARY KEY, region STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE by_region AS SELECT c.region, SUM(o.amount) AS total FROM orders o JOIN customers c ON o.cust = c.cid GROUP BY c.region;
CREATE TABLE big AS SELECT c_region, total FROM by_region WHERE total > 5;
