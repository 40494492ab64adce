-- SELECT * of a join re-keyed by an unqualified column (ksqlDB's "only key
-- column - select star - with join on value columns"): A is L's, so the key
-- is L_A, and it leaves the value columns.
CREATE STREAM l (a INT KEY, b INT, c INT) WITH (KAFKA_TOPIC='LEFT', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (x INT KEY, y INT, z INT) WITH (KAFKA_TOPIC='RIGHT', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM output AS SELECT * FROM l JOIN r WITHIN 10 SECONDS ON l.b = r.y PARTITION BY a;
