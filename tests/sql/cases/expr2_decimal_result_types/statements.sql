-- DECIMAL arithmetic result types, seen through CAST(... AS STRING): + and - keep the
-- larger scale, * adds the scales, / has scale max(6, s1 + p2 + 1), % the larger scale;
-- INT is DECIMAL(10, 0) and 0.1 is DECIMAL(1, 1). As in ksqlDB (MathContext with
-- RoundingMode.UNNECESSARY), a quotient that does not fit its type exactly fails: NULL.
CREATE STREAM s (a DECIMAL(4, 2), b DECIMAL(5, 3), i INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT CAST(a + b AS STRING) AS s, CAST(a - b AS STRING) AS d, CAST(a * b AS STRING) AS p, CAST(a / b AS STRING) AS q, CAST(a % b AS STRING) AS r, CAST(a + i AS STRING) AS ai, CAST(a * 2 AS STRING) AS a2, CAST(a + 0.1 AS STRING) AS al, a / b AS qn FROM s;
