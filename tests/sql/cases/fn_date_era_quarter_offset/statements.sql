-- Pattern letters G (era), Q (quarter) and O (localized offset) in FORMAT_TIMESTAMP, FORMAT_DATE and the PARSE functions.
CREATE STREAM s (ts BIGINT, txt STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT FORMAT_TIMESTAMP(FROM_UNIXTIME(ts), 'yyyy G, QQQ (QQQQ), HH:mm O', 'Asia/Kolkata') AS f, FORMAT_DATE(FROM_DAYS(-719528), 'yyyy GGGG') AS era, PARSE_TIMESTAMP(txt, 'yyyy-MM-dd HH:mm OOOO') AS p, PARSE_DATE('2021-11-04 Q4', 'yyyy-MM-dd QQQ') AS q FROM s;
