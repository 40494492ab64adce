-- REGEXP_EXTRACT: the whole match or a group; NULL when nothing matches.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT REGEXP_EXTRACT('(.*) (.*)', x, 2) AS a, REGEXP_EXTRACT('[0-9]+', x) AS b, REGEXP_EXTRACT('z+', x) AS c FROM s;
