-- Map subscripts; a missing key is NULL.
CREATE STREAM s (m MAP<STRING, INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT m['a'] AS a, m['zz'] AS z FROM s;
