-- ARRAY, MAP and STRUCT constructors; mixed numbers widen to a common type.
CREATE STREAM s (x INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ARRAY[x, x + 1, 3] AS a, MAP('k1' := x, 'k2' := 2) AS m, STRUCT(f1 := x, f2 := 'v') AS s, ARRAY[1, 2.5] AS mixed FROM s;
