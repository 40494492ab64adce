-- ATAN2(y, x) in each quadrant and on the axes; NULL in, NULL out (ksqlDB's math tests).
CREATE STREAM s (iy INT, ix INT, dy DOUBLE, dx DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ROUND(ATAN2(iy, ix), 13) AS i, ROUND(ATAN2(dy, dx), 13) AS d FROM s;
