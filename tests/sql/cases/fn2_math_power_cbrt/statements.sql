-- POWER is Math.pow on doubles (INT arguments widen): 0^0 is 1, a negative exponent
-- works, a negative base with a fractional exponent is NaN. CBRT keeps the sign.
CREATE STREAM s (i INT, j INT, d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT POWER(i, j) AS p, POWER(i, -j) AS pn, POWER(d, 0.5) AS ph, CBRT(d) AS c FROM s;
