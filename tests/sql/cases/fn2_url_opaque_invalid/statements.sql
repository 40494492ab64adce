-- An opaque URI (mailto:) has a scheme but no host or path; a URL that java.net.URI
-- refuses (a space in the host) fails: the columns are NULL and the row goes out.
CREATE STREAM s (u STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT URL_EXTRACT_PROTOCOL(u) AS proto, URL_EXTRACT_HOST(u) AS host, URL_EXTRACT_PATH(u) AS path FROM s;
