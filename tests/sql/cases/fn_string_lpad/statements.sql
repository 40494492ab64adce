-- LPAD: documented examples; a negative length or an empty padding gives NULL.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT LPAD(x, 7, 'Bar') AS a, LPAD(x, 2, 'Bar') AS b, LPAD('', 2, 'Bar') AS c, LPAD('123', 5, '0') AS d, LPAD(x, -1, 'a') AS e, LPAD(x, 5, '') AS f FROM s;
