-- INSERT VALUES into a table: each row updates its key.
CREATE TABLE tb (id INT PRIMARY KEY, name STRING) WITH (KAFKA_TOPIC='tb', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT id, UCASE(name) AS n FROM tb;
INSERT INTO tb (id, name, ROWTIME) VALUES (1, 'a', 10);
INSERT INTO tb (id, name, ROWTIME) VALUES (1, 'b', 20);
INSERT INTO tb (name, id, ROWTIME) VALUES (NULL, 2, 30);
