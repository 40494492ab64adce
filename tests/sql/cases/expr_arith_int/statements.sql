-- Integer arithmetic: division truncates toward zero, % keeps the dividend's sign.
CREATE STREAM s (a INT, b INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a + b AS s, a - b AS d, a * b AS p, a / b AS q, a % b AS r, -a AS n, a + b * 2 AS prec, (a + b) * 2 AS par FROM s;
