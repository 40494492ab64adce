-- NULL elements of arrays and NULL map values survive JSON both ways.
CREATE STREAM s (a ARRAY<INT>, m MAP<STRING, DOUBLE>, n ARRAY<ARRAY<STRING>>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a, m, n, a[2] AS a2, m['x'] AS mx, n[1][2] AS n12 FROM s;
