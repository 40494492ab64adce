-- The right table of a foreign-key join keeps the headers of the record that
-- set its row (they were NULL before).
CREATE TABLE o (id INT PRIMARY KEY, cid INT) WITH (KAFKA_TOPIC='o', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE c (id INT PRIMARY KEY, name STRING, h BYTES HEADER('src')) WITH (KAFKA_TOPIC='c', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE j AS SELECT o.id, name, h FROM o JOIN c ON o.cid = c.id;
