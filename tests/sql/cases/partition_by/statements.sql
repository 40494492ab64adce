-- Re-key a stream by a value column: the new key, the old key becomes a value.
CREATE STREAM orders (id BIGINT KEY, user STRING, amount INT) WITH (KAFKA_TOPIC='orders', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM by_user AS SELECT user, id AS order_id, amount FROM orders PARTITION BY user;
