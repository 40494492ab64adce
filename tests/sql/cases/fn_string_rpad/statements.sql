-- RPAD: documented examples; a NULL padding gives NULL.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT RPAD(x, 7, 'Bar') AS a, RPAD(x, 2, 'Bar') AS b, RPAD('', 2, 'Bar') AS c, RPAD(x, 4, CAST(NULL AS STRING)) AS d FROM s;
