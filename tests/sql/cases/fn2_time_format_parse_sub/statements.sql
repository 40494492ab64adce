-- PARSE_TIME, FORMAT_TIME (12-hour clock with AM/PM), TIMEADD and TIMESUB (wrapping
-- around midnight); TIME is written as milliseconds of the day.
CREATE STREAM s (s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT PARSE_TIME(s, 'HH:mm:ss.SSS') AS t, FORMAT_TIME(PARSE_TIME(s, 'HH:mm:ss.SSS'), 'hh:mm a') AS f, TIMESUB(HOURS, 14, PARSE_TIME(s, 'HH:mm:ss.SSS')) AS sub, TIMEADD(MINUTES, 15, PARSE_TIME(s, 'HH:mm:ss.SSS')) AS add FROM s;
