-- MAP_KEYS, MAP_VALUES and AS_MAP; MAP_UNION with a NULL map keeps the other one, the
-- second map wins on a shared key.
CREATE STREAM s (m MAP<STRING, INT>, n MAP<STRING, INT>) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT MAP_KEYS(m) AS k, MAP_VALUES(m) AS v, MAP_UNION(m, n) AS u, AS_MAP(ARRAY['x', 'y'], ARRAY[1, 2]) AS am FROM s;
