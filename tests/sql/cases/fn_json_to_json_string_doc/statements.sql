-- TO_JSON_STRING: the examples of ksqlDB's function reference (PARSE_TIMESTAMP resolves June 31 to
-- June 30; a TIME without seconds is "13:25"), and map entries and struct fields written in key order.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT
 TO_JSON_STRING(1) AS p1, TO_JSON_STRING(15.3) AS p2, TO_JSON_STRING('abc') AS p3, TO_JSON_STRING(true) AS p4,
 TO_JSON_STRING(PARSE_DATE('2021-10-11', 'yyyy-MM-dd')) AS p5,
 TO_JSON_STRING(PARSE_TIME('13:25', 'HH:mm')) AS p6,
 TO_JSON_STRING(PARSE_TIMESTAMP('2021-06-31 12:18:39.446', 'yyyy-MM-dd HH:mm:ss.SSS')) AS p7,
 TO_JSON_STRING(NULL) AS p8,
 TO_JSON_STRING(Array[1, 2, 3]) AS c1,
 TO_JSON_STRING(Struct(id := 1, name := 'A')) AS c2,
 TO_JSON_STRING(Map('c' := 2, 'd' := 4)) AS c3,
 TO_JSON_STRING(Array[Struct(json_key := 1, json_value := Map('c' := 2, 'd' := 3))]) AS c4,
 TO_JSON_STRING(Struct(name := x, id := 1)) AS o1,
 TO_JSON_STRING(Map('d' := 2, 'c' := 4, x := 0)) AS o2,
 TO_JSON_STRING(Map(10 := Struct(b := 1, a := PARSE_TIME('10:00:05', 'HH:mm:ss')), 2 := NULL)) AS o3
FROM s;
