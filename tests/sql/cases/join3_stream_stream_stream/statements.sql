-- Three streams on one key: the second join's left is the first join's result, already keyed by A.ID.
CREATE STREAM a (id INT KEY, x STRING) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM b (id INT KEY, y STRING) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM c (id INT KEY, z STRING) WITH (KAFKA_TOPIC='c', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM abc AS
  SELECT a.id, x, y, z FROM a
  JOIN b WITHIN 10 SECONDS ON a.id = b.id
  JOIN c WITHIN 10 SECONDS ON a.id = c.id;
