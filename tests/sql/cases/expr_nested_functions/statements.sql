-- Functions nested in functions and with subscripts.
CREATE STREAM s (s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT UCASE(SUBSTRING(TRIM(s), 1, 3)) AS a, LEN(REPLACE(LCASE(s), ' ', '')) AS b, CONCAT(SPLIT(s, ' ')[1], '!') AS c FROM s;
