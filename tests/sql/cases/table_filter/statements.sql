-- A table filtered and projected: a row leaving the filter becomes a tombstone.
CREATE TABLE users (id STRING PRIMARY KEY, name STRING, age INT) WITH (KAFKA_TOPIC='users', FORMAT='JSON', PARTITIONS=1);
CREATE TABLE adults AS SELECT id, name, age >= 65 AS senior FROM users WHERE age >= 18;
