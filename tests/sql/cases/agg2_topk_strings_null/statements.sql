-- TOPK over STRING: the k largest, largest first, repeats kept; NULLs ignored.
CREATE STREAM s (id INT KEY, g STRING, name STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, TOPK(name, 2) AS top2 FROM s GROUP BY g;
