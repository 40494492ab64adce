-- PARSE_TIME and FORMAT_TIME; a TIME is written in JSON as milliseconds of the day.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT PARSE_TIME(x, 'HH:mm:ss') AS t, FORMAT_TIME(PARSE_TIME(x, 'HH:mm:ss'), 'hh:mm a') AS f FROM s;
