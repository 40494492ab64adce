-- LIKE: ESCAPE makes % and _ literal; regular-expression characters in the pattern are
-- literal; _ is exactly one character; the whole string must match.
CREATE STREAM s (s STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT s LIKE 'a!_b' ESCAPE '!' AS e1, s LIKE '!%%' ESCAPE '!' AS e2, s LIKE '%.%' AS dot, s LIKE '[a]%' AS br, s LIKE '__' AS two, s LIKE 'a%%b' AS pp FROM s;
