-- REGEXP_REPLACE with Java's replacement syntax: $n, ${name}, \$ for a dollar; a group the pattern lacks makes the column NULL, but only when there is a match (Java reads the replacement at each match).
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT REGEXP_REPLACE(x, '(?<y>\d{4})-(?<m>\d\d)-(\d\d)', '$3/${m}/${y}') AS d, REGEXP_REPLACE(x, '\s+', ' ') AS ws, REGEXP_REPLACE(x, '(\d+)', '\$$1') AS cost, REGEXP_REPLACE(x, '(a)', '$2') AS bad FROM s;
