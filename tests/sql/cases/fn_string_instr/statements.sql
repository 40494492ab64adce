-- INSTR: ksqlDB's documented examples.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT INSTR(x, 'OR') AS a, INSTR(x, 'OR', 3) AS b, INSTR(x, 'OR', 3, 2) AS c, INSTR(x, 'OR', -3) AS d, INSTR(x, 'OR', -3, 2) AS e, INSTR(x, 'MISSING') AS f FROM s;
