-- DELIMITED values count their fields: the queries compiled before and
-- after a column was added cannot share the topic's source in the test
-- runner's one topology (the shell runs each query on its own).
CREATE STREAM a (id INT KEY, col1 INT) WITH (kafka_topic='a', value_format='DELIMITED', partitions=1);
CREATE STREAM b AS SELECT * FROM a;
CREATE OR REPLACE STREAM a (id INT KEY, col1 INT, col2 INT) WITH (kafka_topic='a', value_format='DELIMITED');
CREATE STREAM c AS SELECT * FROM a;
