-- CAST from DECIMAL: to a smaller scale rounds half up (away from zero); to INT truncates.
CREATE STREAM s (a DECIMAL(6, 3)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT CAST(a AS DECIMAL(4, 1)) AS r, CAST(a AS INT) AS i, CAST(a AS BIGINT) AS b, CAST(a AS DOUBLE) AS d, CAST(a AS STRING) AS s, CAST(a AS DECIMAL(2, 1)) AS o FROM s;
