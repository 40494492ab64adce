-- PARSE_DATE and FORMAT_DATE; a DATE is written in JSON as days since the epoch.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT PARSE_DATE(x, 'yyyy-MM-dd') AS d, FORMAT_DATE(PARSE_DATE(x, 'yyyy-MM-dd'), 'dd/MM/yyyy') AS f, FORMAT_DATE(PARSE_DATE(x, 'yyyy-MM-dd'), 'EEEE, MMMM d') AS g FROM s;
