-- The trigonometric functions, in radians.
CREATE STREAM s (d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT SIN(d) AS s, COS(d) AS c, TAN(d) AS t, DEGREES(PI()) AS deg, RADIANS(180) AS rad, ATAN2(1, 1) AS a2, ASIN(1) AS asn, ACOS(1) AS acs, ATAN(0) AS atn, SINH(d) AS sh, COSH(d) AS ch, TANH(d) AS th FROM s;
