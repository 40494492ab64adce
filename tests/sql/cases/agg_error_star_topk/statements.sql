-- TOPK(*): the default argument ROWTIME is one argument; TOPK takes two.
CREATE STREAM s (id INT KEY, g STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE o AS SELECT g, TOPK(*) AS t FROM s GROUP BY g;
