-- Arrays of maps of structs read and written as JSON.
CREATE STREAM s (x ARRAY<MAP<STRING, STRUCT<V INT>>>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT x[1]['a']->V AS v, x FROM s;
