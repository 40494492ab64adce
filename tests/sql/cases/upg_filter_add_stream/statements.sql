-- CREATE OR REPLACE upgrades the query that writes B: the new WHERE applies
-- (ksqlDB's query-upgrades/filters.sql).
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE OR REPLACE STREAM b AS SELECT * FROM a WHERE col1 > 0;
