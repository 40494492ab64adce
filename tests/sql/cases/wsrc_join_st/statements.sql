-- Stream-table join of a windowed stream and a windowed table (session
-- windows): a record joins the table's row of the same key and the same
-- session; the result keeps the windows.
CREATE STREAM s (id INT KEY, a STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='SESSION');
CREATE TABLE t (id INT PRIMARY KEY, b STRING) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1, WINDOW_TYPE='SESSION');
CREATE STREAM j AS SELECT s.id AS id, a, b, WINDOWSTART AS ws, WINDOWEND AS we FROM s JOIN t ON s.id = t.id;
CREATE STREAM lj AS SELECT s.id AS id, a, b FROM s LEFT JOIN t ON s.id = t.id;
