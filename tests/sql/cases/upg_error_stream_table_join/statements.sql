-- ksqlDB does not upgrade joins.
CREATE STREAM s (id INT KEY, foo INT) WITH (kafka_topic='s', value_format='JSON', partitions=1);
CREATE TABLE t (id INT PRIMARY KEY, bar INT) WITH (kafka_topic='t', value_format='JSON', partitions=1);
CREATE STREAM j AS SELECT s.id, s.foo, t.bar FROM s JOIN t ON s.id = t.id;
CREATE OR REPLACE STREAM j AS SELECT s.id, s.foo, t.bar FROM s JOIN t ON s.id = t.id WHERE s.foo > 0;
