-- MIN and MAX of DECIMAL keep the column's type (numeric order, not text order).
CREATE STREAM s (id INT KEY, g STRING, price DECIMAL(5, 2)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, MIN(price) AS lo, MAX(price) AS hi FROM s GROUP BY g;
