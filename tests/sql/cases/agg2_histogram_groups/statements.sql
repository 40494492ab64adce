-- HISTOGRAM: a MAP of each distinct STRING to its count, per group.
CREATE STREAM s (id INT KEY, g STRING, colour STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, HISTOGRAM(colour) AS colours, COUNT(*) AS n FROM s GROUP BY g;
