-- STDDEV_SAMP (ksqlDB's: the sample variance) of INT and DOUBLE: 0.0 under two
-- values, NULLs skipped.
CREATE STREAM s (id INT KEY, g STRING, i INT, d DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT g, STDDEV_SAMP(i) AS var_i, STDDEV_SAMP(d) AS var_d FROM s GROUP BY g;
