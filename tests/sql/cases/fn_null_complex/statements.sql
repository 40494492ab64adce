-- COALESCE and IFNULL do not look inside arrays and maps: an empty one is not NULL.
CREATE STREAM s (arr ARRAY<INT>, m MAP<STRING, INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT COALESCE(arr, ARRAY[0]) AS a, IFNULL(m, MAP('k' := 0)) AS b FROM s;
