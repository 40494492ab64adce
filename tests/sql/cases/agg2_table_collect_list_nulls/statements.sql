-- Over a table, NULL arguments are skipped by the adder and the subtractor
-- alike (COUNT(col), SUM); COLLECT_LIST's subtractor removes the last equal value.
CREATE TABLE t0 (id INT PRIMARY KEY, g STRING, v INT) WITH (KAFKA_TOPIC='t0', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, COUNT(v) AS nv, SUM(v) AS total, COLLECT_LIST(v) AS vs FROM t0 GROUP BY g;
