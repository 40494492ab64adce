-- An offset in the text; '' escapes a quote in the pattern.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT PARSE_TIMESTAMP(x, 'yyyy-MM-dd''T''HH:mm:ssXXX') AS a FROM s;
