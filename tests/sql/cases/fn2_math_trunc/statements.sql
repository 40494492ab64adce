-- TRUNC: toward zero. INT and BIGINT give BIGINT, DOUBLE gives BIGINT, (DOUBLE, n) gives
-- DOUBLE through its shortest decimal form, DECIMAL(p, s) gives DECIMAL(p - s, 0) and
-- (DECIMAL(p, s), n) keeps DECIMAL(p, s).
CREATE STREAM s (i INT, d DOUBLE, m DECIMAL(5, 2)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT TRUNC(i) AS ti, TRUNC(d) AS td, TRUNC(d, 2) AS td2, TRUNC(d, -1) AS tdn, TRUNC(m) AS tm, TRUNC(m, 1) AS tm1, CAST(TRUNC(m) AS STRING) AS sm, CAST(TRUNC(m, 1) AS STRING) AS sm1, CAST(TRUNC(m, -2) AS STRING) AS sm2 FROM s;
