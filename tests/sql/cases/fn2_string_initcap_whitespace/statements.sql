-- INITCAP as ksqlDB's: each run of non-space characters and the white space after it is
-- one word; white space before the first word is dropped; only a word's first character
-- is upper-cased, the rest lower-cased.
CREATE STREAM s (s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT INITCAP(s) AS i FROM s;
