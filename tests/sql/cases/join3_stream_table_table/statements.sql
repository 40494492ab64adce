-- Three sources: a stream joined to a table, the result joined to another table on a different column (re-keyed).
CREATE STREAM orders (id INT KEY, cust STRING, product STRING, qty INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE customers (cid STRING PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE products (pid STRING PRIMARY KEY, price DOUBLE) WITH (KAFKA_TOPIC='products', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM enriched AS
  SELECT o.product, o.id, c.name, p.price * o.qty AS total
  FROM orders o JOIN customers c ON o.cust = c.cid LEFT JOIN products p ON o.product = p.pid;
