-- BETWEEN is inclusive at both ends; works on strings too; with NULL it is FALSE, as ksqlDB's comparisons.
CREATE STREAM s (a INT, s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a, a BETWEEN 1 AND 5 AS b, a NOT BETWEEN 1 AND 5 AS nb, s BETWEEN 'b' AND 'd' AS sb FROM s;
