-- GROUP BY over a join: orders joined to their customers, totals per customer region.
CREATE STREAM orders (id INT KEY, cust STRING, amount DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE customers (cid STRING PRIMARY KEY, region STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE by_region AS
  SELECT c.region, COUNT(*) AS n, SUM(o.amount) AS total
  FROM orders o JOIN customers c ON o.cust = c.cid
  WHERE o.amount > 0
  GROUP BY c.region;
