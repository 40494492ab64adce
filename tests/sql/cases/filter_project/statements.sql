CREATE STREAM orders (id BIGINT KEY, user STRING, amount DOUBLE) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM big AS SELECT id, user, amount * 2 AS doubled, UCASE(user) AS u FROM orders WHERE amount > 50 EMIT CHANGES;
