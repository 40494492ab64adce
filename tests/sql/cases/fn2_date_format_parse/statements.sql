-- PARSE_DATE, FORMAT_DATE, UNIX_DATE, DATEADD, DATESUB and FROM_DAYS (DATE is written as
-- days since the epoch).
CREATE STREAM s (s STRING, n INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT PARSE_DATE(s, 'yyyy-MM-dd') AS d, FORMAT_DATE(PARSE_DATE(s, 'yyyy-MM-dd'), 'dd/MM/yyyy') AS f, FORMAT_DATE(PARSE_DATE(s, 'yyyy-MM-dd'), 'EEE, MMM d') AS f2, UNIX_DATE(PARSE_DATE(s, 'yyyy-MM-dd')) AS u, DATEADD(DAYS, 30, PARSE_DATE(s, 'yyyy-MM-dd')) AS plus, DATESUB(DAYS, 4, PARSE_DATE(s, 'yyyy-MM-dd')) AS minus, FORMAT_DATE(FROM_DAYS(n), 'yyyy-MM-dd') AS fd FROM s;
