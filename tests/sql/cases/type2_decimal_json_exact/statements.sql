-- A JSON number that needs rounding to fit its DECIMAL column, or is too large, makes the record unreadable.
CREATE STREAM s (a DECIMAL(5, 2)) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT a FROM s;
