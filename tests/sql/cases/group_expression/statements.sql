-- Grouping by an expression: the key column is KSQL_COL_0.
CREATE STREAM words (id INT KEY, word STRING) WITH (KAFKA_TOPIC='words', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE by_initial AS SELECT KSQL_COL_0, COUNT(*) AS n FROM words GROUP BY SUBSTRING(word, 1, 1);
