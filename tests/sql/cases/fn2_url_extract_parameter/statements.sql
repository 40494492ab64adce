-- URL_EXTRACT_PARAMETER splits the decoded query (URI.getQuery) on '&' and '=': the first
-- match wins, a name without '=' gives '', names are case-sensitive.
CREATE STREAM s (u STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT URL_EXTRACT_PARAMETER(u, 'one') AS a, URL_EXTRACT_PARAMETER(u, 'two') AS b, URL_EXTRACT_PARAMETER(u, 'three') AS c, URL_DECODE_PARAM(URL_EXTRACT_PARAMETER(u, 'one')) AS d FROM s;
