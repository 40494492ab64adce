-- STDDEV_SAMP is ksqlDB's (the sample variance, as its docs warn), STDDEV_SAMPLE
-- the sample standard deviation (0.0 under two values); SUM of DECIMAL(5, 2)
-- is a DECIMAL(5, 2).
CREATE STREAM s (id INT KEY, g STRING, x INT, price DECIMAL(5, 2)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS
  SELECT g, STDDEV_SAMP(x) AS var, STDDEV_SAMPLE(x) AS sd, SUM(price) AS total
  FROM s GROUP BY g;
