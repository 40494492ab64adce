-- DATEADD and DATESUB with a day unit cross month and year ends.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT FORMAT_DATE(DATEADD(DAYS, 3, PARSE_DATE(x, 'yyyy-MM-dd')), 'yyyy-MM-dd') AS a, FORMAT_DATE(DATESUB(DAYS, 1, PARSE_DATE(x, 'yyyy-MM-dd')), 'yyyy-MM-dd') AS b FROM s;
