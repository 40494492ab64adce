-- A map constructor with a key given twice keeps one entry: the key's first
-- place and its last value (ksqlDB builds a Java map). Keys equal only at run
-- time (two columns) collapse too.
CREATE STREAM s (id INT KEY, x STRING, y STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM o AS SELECT id, MAP('a' := 1, 'b' := 2, 'a' := 3) AS m, MAP_KEYS(MAP(x := 1, y := 2)) AS k, MAP(x := 1, y := 2)[x] AS v FROM s;
