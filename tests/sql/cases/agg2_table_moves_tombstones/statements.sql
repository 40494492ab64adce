-- GROUP BY over a table: a row moving to another group is subtracted from the
-- old group before it is added to the new one; a tombstone subtracts the row
-- (its group stays, at zero); a tombstone for an unknown key changes nothing.
CREATE TABLE users (id INT PRIMARY KEY, region STRING, score INT) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS
  SELECT region, COUNT(*) AS n, SUM(score) AS total, AVG(score) AS mean, STDDEV_SAMP(score) AS var
  FROM users GROUP BY region;
