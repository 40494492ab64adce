-- Two grouping columns of different types: a JSON key with both; a NULL in
-- either leaves the record out.
CREATE STREAM sales (id INT KEY, region STRING, yr INT, amount DOUBLE) WITH (KAFKA_TOPIC='sales', KEY_FORMAT='JSON', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT region, yr, SUM(amount) AS total, COUNT(*) AS n FROM sales GROUP BY region, yr;
