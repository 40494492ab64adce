-- Header columns in joins: a stream side's come from its own records (the
-- stored one's, not the record that triggers the join); a table side's are
-- those of the record that set its row. SELECT * lists them among the values
-- in declaration order.
CREATE STREAM l (a INT KEY, b INT, c BYTES HEADER('abc')) WITH (KAFKA_TOPIC='left', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (a INT KEY, b INT, c BYTES HEADER('def')) WITH (KAFKA_TOPIC='right', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t (id INT PRIMARY KEY, hs ARRAY<STRUCT<key STRING, value BYTES>> HEADERS, x INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE u (id INT PRIMARY KEY, y INT, h BYTES HEADER('k')) WITH (KAFKA_TOPIC='u', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM ss AS SELECT * FROM l INNER JOIN r WITHIN 10 SECONDS ON l.a = r.a;
CREATE STREAM st AS SELECT l.a, l.c AS lc, ARRAY_LENGTH(t.hs) AS n, t.hs[1]->value AS tv FROM l JOIN t ON l.a = t.id;
CREATE TABLE tt AS SELECT t.id, x, y, t.hs[1]->value AS tv, u.h AS uh FROM t JOIN u ON t.id = u.id;
