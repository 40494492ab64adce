-- A pattern Java refuses (and one that reads differently in Java, class intersection) makes the column NULL; the row still goes out.
CREATE STREAM s (x STRING, p STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT x, REGEXP_EXTRACT(p, x) AS m, REGEXP_SPLIT_TO_ARRAY(x, p) AS parts FROM s;
