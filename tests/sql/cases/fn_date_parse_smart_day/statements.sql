-- PARSE_DATE and PARSE_TIMESTAMP resolve dates as java.time's default ResolverStyle.SMART: a
-- day-of-month up to 31 past its month's end is the month's last day; 32 or 0 is no date (NULL);
-- hour 24:00 is the next day's midnight.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT x, FORMAT_DATE(PARSE_DATE(x, 'yyyy-MM-dd'), 'yyyy-MM-dd') AS d,
 FORMAT_TIMESTAMP(PARSE_TIMESTAMP(x + ' 23:59', 'yyyy-MM-dd HH:mm'), 'yyyy-MM-dd HH:mm') AS ts,
 STRINGTODATE(x, 'yyyy-MM-dd') AS days,
 FORMAT_TIMESTAMP(PARSE_TIMESTAMP(x + ' 24:00', 'yyyy-MM-dd HH:mm'), 'yyyy-MM-dd HH:mm') AS mid FROM s;
