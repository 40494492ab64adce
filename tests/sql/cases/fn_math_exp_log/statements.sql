-- SQRT, CBRT, EXP, LN, LOG (one argument is the natural log, as ksqlDB's Log), POWER.
CREATE STREAM s (d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT SQRT(d) AS sq, CBRT(27) AS cb, EXP(0) AS e, LN(1) AS l, LOG(2, 8) AS l2, POWER(2, 10) AS p, ROUND(LOG(EXP(d)), 6) AS ln FROM s;
