-- A foreign-key join's times (Kafka Streams' foreign-key joins, so ksqlDB's):
-- an order's change gives a row at the later of its time and its customer's
-- row's; a customer's change gives its orders' rows at the change's own time.
CREATE TABLE orders (id INT PRIMARY KEY, customer STRING, amount DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE customers (name STRING PRIMARY KEY, city STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE order_city AS SELECT o.id, amount, city FROM orders o JOIN customers c ON o.customer = c.name;
