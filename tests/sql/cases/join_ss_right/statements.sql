-- Stream-stream RIGHT JOIN (the mirror of LEFT): every right record is
-- emitted, with NULLs when no left record came within 5 seconds, once its
-- window has closed; left records without a match are not.
CREATE STREAM l (id INT KEY, lv STRING) WITH (KAFKA_TOPIC='l', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM r (id INT KEY, rv STRING) WITH (KAFKA_TOPIC='r', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM out AS SELECT r.id AS id, lv, rv FROM l RIGHT JOIN r WITHIN 5 SECONDS GRACE PERIOD 0 SECONDS ON l.id = r.id;
