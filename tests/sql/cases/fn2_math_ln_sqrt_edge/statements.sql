-- LN and SQRT outside their domains: NaN, and LN(0) is -Infinity (ksqlDB's math tests).
CREATE STREAM s (i INT, l BIGINT, d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT LN(i) AS li, LN(l) AS ll, LN(d) AS ld, SQRT(i) AS si, SQRT(l) AS sl, SQRT(d) AS sd FROM s;
