-- A column added before others moves them: refused (queries read the
-- columns by position).
CREATE STREAM a (id INT KEY, col1 INT, col2 INT) WITH (kafka_topic='a', value_format='JSON', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE OR REPLACE STREAM a (id INT KEY, col1 INT, col3 INT, col2 INT) WITH (kafka_topic='a', value_format='JSON');
