-- A record whose grouping expression is NULL is left out of the aggregation
-- (a NULL column, a function of a NULL).
CREATE STREAM s (id INT KEY, name STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT UCASE(name) AS up, COUNT(*) AS n FROM s GROUP BY UCASE(name);
