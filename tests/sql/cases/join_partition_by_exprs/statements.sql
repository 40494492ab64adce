-- A stream-table join re-keyed by two expressions: the key columns come in
-- PARTITION BY order, named by their projection items (an alias, or
-- KSQL_COL_n), in a JSON key (several columns); WHERE sees both sides.
CREATE STREAM views (user STRING KEY, page STRING, ms INT) WITH (KAFKA_TOPIC='views', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE users (id STRING PRIMARY KEY, region STRING) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM by_region AS SELECT UCASE(u.region), v.user, v.page AS p, v.ms FROM views v JOIN users u ON v.user = u.id WHERE v.ms > 0 PARTITION BY v.page, UCASE(u.region);
