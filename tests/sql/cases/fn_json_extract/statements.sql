-- EXTRACTJSONFIELD: the documented example, array indexes, objects as JSON text, a missing path.
CREATE STREAM s (msg STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT EXTRACTJSONFIELD(msg, '$.log.cloud') AS cloud, CAST(EXTRACTJSONFIELD(msg, '$.log.instance') AS INT) AS inst, EXTRACTJSONFIELD(msg, '$.log.tags[1]') AS tag, EXTRACTJSONFIELD(msg, '$.log') AS log, EXTRACTJSONFIELD(msg, '$.nope') AS nope FROM s;
