-- CHR of a code point and of a '\uXXXX' string: documented examples.
CREATE STREAM s (n INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT CHR(n) AS a, CHR('\u004b') AS b, CHR(22909) AS c, CHR('\u597d') AS d FROM s;
