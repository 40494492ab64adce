-- An upgraded stream that another query reads: that query keeps the
-- columns it was made with (ksqlDB's chained-upgrades.sql).
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE STREAM c AS SELECT * FROM b;
CREATE OR REPLACE STREAM b AS SELECT id, col1, col1 + 1 AS col1_add FROM a WHERE col1 > 0;
