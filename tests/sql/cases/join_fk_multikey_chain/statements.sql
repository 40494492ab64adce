-- Two foreign-key joins in a row from a left table with two key columns,
-- selected with *: the result keeps the left table's whole key (A_X names,
-- as * gives them), through both joins.
CREATE TABLE lines (order_id INT PRIMARY KEY, line INT PRIMARY KEY, product STRING) WITH (KAFKA_TOPIC='lines', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE products (id STRING PRIMARY KEY, maker INT) WITH (KAFKA_TOPIC='products', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE makers (mid INT PRIMARY KEY, country STRING) WITH (KAFKA_TOPIC='makers', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE line_makers AS SELECT * FROM lines l JOIN products p ON l.product = p.id LEFT JOIN makers m ON p.maker = m.mid;
