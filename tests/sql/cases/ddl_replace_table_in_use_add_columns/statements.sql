-- CREATE OR REPLACE TABLE of a source table that a query reads, a column
-- added: the table query compiled before keeps its columns, the one
-- compiled after reads the new one; both from one table source node.
CREATE TABLE t (id INT PRIMARY KEY, a INT) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t1 AS SELECT id, a FROM t;
CREATE OR REPLACE TABLE t (id INT PRIMARY KEY, a INT, b STRING) WITH (KAFKA_TOPIC='t', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t2 AS SELECT * FROM t;
CREATE TABLE n AS SELECT b, COUNT(*) AS cnt FROM t GROUP BY b;
