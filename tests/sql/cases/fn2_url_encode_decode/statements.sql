-- URL_ENCODE_PARAM and URL_DECODE_PARAM follow Java's URLEncoder/URLDecoder (UTF-8):
-- a space is '+', '~' is escaped, '.-*_' are kept; a bad escape fails, giving NULL.
CREATE STREAM s (u STRING, e STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT URL_ENCODE_PARAM(u) AS enc, URL_DECODE_PARAM(e) AS dec FROM s;
