-- INSTR as ksqlDB's: a NULL string or substring gives 0, not NULL; a negative position takes occurrences that end at or before it.
CREATE STREAM s (x STRING, y STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT INSTR(x, y) AS i, INSTR(x, y, -2) AS back FROM s;
