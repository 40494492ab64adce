-- A grouping column selected under an alias names the key; WHERE filters
-- before grouping; the grouping column can be used again in an expression.
CREATE STREAM s (id INT KEY, city STRING, temp INT) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE t AS SELECT city AS town, LCASE(city) AS lower_town, MAX(temp) AS hottest FROM s WHERE temp > 0 GROUP BY city;
