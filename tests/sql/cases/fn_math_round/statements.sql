-- ROUND: ties go up, toward positive infinity; a negative scale rounds left of the point.
CREATE STREAM s (d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ROUND(d) AS r, ROUND(d, 1) AS r1, ROUND(d, -1) AS rm FROM s;
