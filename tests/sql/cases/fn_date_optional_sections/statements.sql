-- Optional sections [...] of DateTimeFormatter patterns: parsed when the text has them, skipped otherwise; nested; a ] without [ is refused (column NULL).
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT x, PARSE_TIMESTAMP(x, 'yyyy-MM-dd[[''T''][ ]HH:mm[:ss]]') AS ts, FORMAT_TIMESTAMP(PARSE_TIMESTAMP(x, 'yyyy-MM-dd[[''T''][ ]HH:mm[:ss]]'), 'yyyy-MM-dd[ HH:mm]') AS f, PARSE_DATE(x, 'yyyy-MM-dd]') AS bad FROM s;
