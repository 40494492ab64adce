-- GROUP BY over a foreign-key join from a left table of two key columns:
-- each change of a joined row takes its old row out of its group.
CREATE TABLE lines (order_id INT PRIMARY KEY, line INT PRIMARY KEY, product STRING, qty INT) WITH (KAFKA_TOPIC='lines', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE products (id STRING PRIMARY KEY, title STRING) WITH (KAFKA_TOPIC='products', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE per_title AS SELECT p.title, SUM(qty) AS q FROM lines l JOIN products p ON l.product = p.id GROUP BY p.title;
