-- A foreign-key join, then a join on the result's key (the orders' key):
-- the second join looks up the first's rows, kept in a store of their own.
CREATE TABLE orders (id INT PRIMARY KEY, customer STRING, amount DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE customers (name STRING PRIMARY KEY, city STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE details (oid INT PRIMARY KEY, note STRING) WITH (KAFKA_TOPIC='details', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE order_country AS SELECT o.id, amount, city, note FROM orders o JOIN customers c ON o.customer = c.name JOIN details d ON o.id = d.oid;
