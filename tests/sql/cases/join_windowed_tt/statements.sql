-- Joins of windowed tables (time windows): a row joins only the same key in
-- the same window (the key holds the window), the result keeps the windows,
-- and WINDOWSTART / WINDOWEND are the join key's window.
CREATE STREAM a (id INT KEY, v INT) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM b (id INT KEY, w INT) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE ta AS SELECT id, SUM(v) AS sv FROM a WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY id;
CREATE TABLE tb AS SELECT id, COUNT(*) AS nb FROM b WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY id;
CREATE TABLE j AS SELECT ta.id, sv, nb, WINDOWSTART AS ws, WINDOWEND AS we FROM ta JOIN tb ON ta.id = tb.id;
CREATE TABLE lj AS SELECT ta.id AS id, sv, nb FROM ta LEFT JOIN tb ON ta.id = tb.id;
