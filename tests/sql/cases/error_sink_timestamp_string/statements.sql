CREATE STREAM l (id INT KEY, at STRING) WITH (kafka_topic='l', value_format='JSON', PARTITIONS=1);
CREATE TABLE r (id INT PRIMARY KEY, v STRING) WITH (kafka_topic='r', value_format='JSON', PARTITIONS=1);
CREATE STREAM j WITH (TIMESTAMP='at') AS SELECT l.id, at, v FROM l JOIN r ON l.id = r.id;
