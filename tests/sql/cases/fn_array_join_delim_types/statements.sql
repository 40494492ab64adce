-- ARRAY_JOIN as ksqlDB's: a NULL delimiter joins with nothing; elements that are not BOOLEAN, numbers or STRING (here arrays) make the column NULL (an error in ksqlDB), unless NULL.
CREATE STREAM s (a ARRAY<INT>, d STRING, n ARRAY<ARRAY<INT>>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ARRAY_JOIN(a, d) AS j, ARRAY_JOIN(n) AS nested FROM s;
