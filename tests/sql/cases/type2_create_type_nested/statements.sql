-- CREATE TYPE: a named struct type, used in another type and in a stream.
CREATE TYPE address AS STRUCT<number INTEGER, street VARCHAR, city VARCHAR>;
CREATE TYPE person AS STRUCT<name VARCHAR, address ADDRESS>;
CREATE STREAM people (p PERSON, tags ARRAY<ADDRESS>) WITH (KAFKA_TOPIC='people', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM copy AS SELECT p, p->address->city AS city, tags[1]->number AS n FROM people;
