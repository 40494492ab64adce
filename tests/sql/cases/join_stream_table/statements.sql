-- Page views enriched with the user's region: a stream-table join on the key.
CREATE STREAM views (user STRING KEY, page STRING) WITH (KAFKA_TOPIC='views', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE users (id STRING PRIMARY KEY, region STRING) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM enriched AS SELECT v.user, page, region FROM views v JOIN users u ON v.user = u.id;
CREATE STREAM all_views AS SELECT u.id AS uid, page, region FROM views v LEFT JOIN users u ON v.user = u.id;
