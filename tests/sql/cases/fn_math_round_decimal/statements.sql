-- ROUND of DECIMAL: ties go up, toward positive infinity, as for DOUBLE (ksqlDB's Round).
CREATE STREAM s (m DECIMAL(5, 2)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT ROUND(m) AS r, ROUND(m, 1) AS r1 FROM s;
