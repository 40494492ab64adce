-- URL_EXTRACT_HOST and URL_EXTRACT_FRAGMENT as java.net.URI: the user info is not
-- part of the host; the fragment is decoded; a missing part is NULL.
CREATE STREAM s (u STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT URL_EXTRACT_HOST(u) AS host, URL_EXTRACT_FRAGMENT(u) AS frag FROM s;
