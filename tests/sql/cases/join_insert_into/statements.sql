-- INSERT INTO … JOIN: a stream-table join's rows appended to an existing stream with the same columns.
CREATE STREAM clicks (uid INT KEY, page STRING) WITH (KAFKA_TOPIC='clicks', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE users (id INT PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM activity (uid INT KEY, what STRING) WITH (KAFKA_TOPIC='activity', VALUE_FORMAT='JSON', PARTITIONS=1);
INSERT INTO activity SELECT c.uid AS uid, u.name + ' viewed ' + c.page AS what FROM clicks c JOIN users u ON c.uid = u.id;
