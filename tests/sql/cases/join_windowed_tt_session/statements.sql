-- Joins of session-windowed tables: the key holds both bounds of the
-- session, so rows join only when the sessions are the same; a session that
-- grows is a new key (its old one is deleted, and so is its joined row).
CREATE STREAM a (id INT KEY, v INT) WITH (KAFKA_TOPIC='a', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM b (id INT KEY, w INT) WITH (KAFKA_TOPIC='b', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE ta AS SELECT id, SUM(v) AS sv FROM a WINDOW SESSION (5 SECONDS) GROUP BY id;
CREATE TABLE tb AS SELECT id, SUM(w) AS sw FROM b WINDOW SESSION (5 SECONDS) GROUP BY id;
CREATE TABLE j AS SELECT ta.id, sv, sw, WINDOWEND - WINDOWSTART AS len FROM ta JOIN tb ON ta.id = tb.id;
