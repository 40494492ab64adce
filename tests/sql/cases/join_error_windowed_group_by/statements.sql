-- GROUP BY over a join of windowed tables: refused in a persistent query, as
-- ksqlDB refuses every persistent query over a windowed table (a push query
-- groups it: tests/integration/shell.sh, 5c).
CREATE STREAM a (id INT KEY, v INT) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM b (id INT KEY, w INT) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE ta AS SELECT id, SUM(v) AS sv FROM a WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY id;
CREATE TABLE tb AS SELECT id, SUM(w) AS sw FROM b WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY id;
CREATE TABLE j AS SELECT sw, COUNT(*) AS n FROM ta JOIN tb ON ta.id = tb.id GROUP BY sw;
