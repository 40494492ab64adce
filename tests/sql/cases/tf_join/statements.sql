-- EXPLODE in a stream-table join's projection: one row per element of the
-- joined row's array, the other columns (and the join's key) copied; a NULL
-- array (an unmatched LEFT JOIN row) gives none.
CREATE STREAM orders (user STRING KEY, items ARRAY<STRING>) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE users (id STRING PRIMARY KEY, region STRING, tags ARRAY<STRING>) WITH (KAFKA_TOPIC='users', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM lines AS SELECT o.user, u.region, EXPLODE(o.items) AS item, CUBE_EXPLODE(u.tags) AS tags FROM orders o LEFT JOIN users u ON o.user = u.id;
