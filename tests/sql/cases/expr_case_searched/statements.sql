-- Searched CASE: the first true branch; no ELSE gives NULL; a NULL condition is not true.
CREATE STREAM s (a INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT CASE WHEN a < 0 THEN 'neg' WHEN a = 0 THEN 'zero' ELSE 'pos' END AS sign, CASE WHEN a > 10 THEN 'big' END AS big FROM s;
