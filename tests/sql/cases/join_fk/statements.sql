-- Foreign-key table-table joins: orders (keyed by id) join customers on
-- their CUSTOMER column = the customers' key. The result is keyed by the
-- orders' key. INNER: a new order without its customer gives nothing until
-- the customer comes (Kafka Streams' foreign-key join); LEFT: NULLs at once.
-- Changing an order's customer re-subscribes it. c.name is named C_NAME.
CREATE TABLE orders (id INT PRIMARY KEY, customer STRING, amount DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE customers (name STRING PRIMARY KEY, city STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE order_city AS SELECT o.id, amount, city FROM orders o JOIN customers c ON o.customer = c.name;
CREATE TABLE order_city_left AS SELECT o.id AS oid, c.name, city FROM orders o LEFT JOIN customers c ON o.customer = c.name;
