-- A query compiled after an upgrade reads the upgraded stream's new column,
-- while a query compiled before reads its old ones (ksqlDB's "ddl
-- evolution", the CREATE OR REPLACE … AS SELECT half).
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE STREAM c AS SELECT * FROM b;
CREATE OR REPLACE STREAM b AS SELECT id, col1, col1 + 1 AS col1_add FROM a;
CREATE STREAM d AS SELECT * FROM b;
