-- Orders keyed by id join the customers table on a value column: the stream
-- is re-keyed through a repartition topic first.
CREATE STREAM orders (id INT KEY, customer STRING, total DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE customers (name STRING PRIMARY KEY, tier STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM orders_tiered AS
  SELECT c.name, o.id AS order_id, total, tier FROM orders o JOIN customers c ON o.customer = c.name
  WHERE total > 10;
