-- Two foreign-key joins in a row: the first's rows (keyed by the orders'
-- INT key, joined on a STRING foreign key) are stored and sent on through
-- the second join's internal topics, each slot under its own type — the
-- join-key slot holds the foreign key (a STRING), not the left key.
CREATE TABLE orders (id INT PRIMARY KEY, customer STRING, amount DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE customers (name STRING PRIMARY KEY, city STRING) WITH (KAFKA_TOPIC='customers', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE cities (cname STRING PRIMARY KEY, country STRING) WITH (KAFKA_TOPIC='cities', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE order_country AS SELECT o.id, amount, city, country FROM orders o JOIN customers c ON o.customer = c.name LEFT JOIN cities t ON c.city = t.cname;
