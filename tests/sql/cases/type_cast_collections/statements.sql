-- CAST of arrays, maps and structs element by element; struct fields not in the source are NULL.
CREATE STREAM s (a ARRAY<INT>, m MAP<STRING, INT>, st STRUCT<A INT, B INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT CAST(a AS ARRAY<STRING>) AS sa, CAST(m AS MAP<STRING, DOUBLE>) AS dm, CAST(st AS STRUCT<A STRING, C INT>) AS cs FROM s;
