-- STRUCT(...) builds nested structs; a field of a constructed struct can be read with ->.
CREATE STREAM s (x INT, y STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT STRUCT(A := x, B := STRUCT(C := y, D := x * 2)) AS st, STRUCT(A := x)->A AS a, STRUCT(E := ARRAY[x, x])->E[2] AS e FROM s;
