-- A stream that is not windowed joined to a windowed table: refused.
CREATE STREAM a (id INT KEY, v INT) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM b (id INT KEY, w INT) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE ts AS SELECT id, SUM(v) AS sv FROM a WINDOW SESSION (10 SECONDS) GROUP BY id;
CREATE STREAM j AS SELECT b.id, w, sv FROM b JOIN ts ON b.id = ts.id;
