-- A foreign-key join on a value column of a left table with two key columns
-- (DELIMITED keys, then JSON keys): the result's key is the left table's,
-- in its key order and format, whatever order (and names) the projection
-- gives its columns.
CREATE TABLE lines (order_id INT PRIMARY KEY, line INT PRIMARY KEY, product STRING, qty INT) WITH (KAFKA_TOPIC='lines', KEY_FORMAT='DELIMITED', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE lines_j (order_id INT PRIMARY KEY, line INT PRIMARY KEY, product STRING, qty INT) WITH (KAFKA_TOPIC='lines_j', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE products (id STRING PRIMARY KEY, title STRING) WITH (KAFKA_TOPIC='products', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE line_titles AS SELECT l.line AS ln, qty, p.title, l.order_id FROM lines l JOIN products p ON l.product = p.id;
CREATE TABLE line_titles_j AS SELECT l.line AS ln, qty, p.title, l.order_id FROM lines_j l JOIN products p ON l.product = p.id;
