-- Sessions with a 10 s gap: the third record bridges nothing, the fourth joins the first session.
CREATE STREAM acts (id INT KEY, user STRING) WITH (KAFKA_TOPIC='acts', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE TABLE sessions AS SELECT user, COUNT(*) AS n FROM acts WINDOW SESSION (10 SECONDS) GROUP BY user;
