-- Grouping by an expression selected without an alias: the key column is KSQL_COL_0, the count KSQL_COL_1.
CREATE STREAM words (id INT KEY, word STRING) WITH (KAFKA_TOPIC='words', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE by_initial AS SELECT SUBSTRING(word, 1, 1), COUNT(*) FROM words GROUP BY SUBSTRING(word, 1, 1);
