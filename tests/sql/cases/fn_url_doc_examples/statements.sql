-- The URL examples of ksqlDB's function reference. Three differ from its text and follow its code:
-- URL_ENCODE_PARAM is Guava's form escaper (a space is '+', the reference writes '%20'),
-- URL_EXTRACT_PATH is URI.getPath ('/path/to', the reference writes 'path/to'), and a parameter
-- without '=' is '' (the reference says NULL; UrlExtractParameter returns "").
CREATE STREAM s (u STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT
 URL_DECODE_PARAM('url%20encoded') AS dec, URL_ENCODE_PARAM('url encoded') AS enc,
 URL_EXTRACT_FRAGMENT('http://test.com#frag') AS frag1, URL_EXTRACT_FRAGMENT('http://test.com#frag%20space') AS frag2,
 URL_EXTRACT_HOST('http://test.com:8080/path') AS host,
 URL_EXTRACT_PARAMETER('http://test.com?a%20b=c%20d', 'a b') AS par1,
 URL_EXTRACT_PARAMETER('http://test.com?a=foo&b=bar', 'b') AS par2,
 URL_EXTRACT_PARAMETER('http://test.com?a=foo&b', 'b') AS par3,
 URL_EXTRACT_PARAMETER('http://test.com?a=foo', 'b') AS par4,
 URL_EXTRACT_PATH('http://test.com/path/to#a') AS path1, URL_EXTRACT_PATH('http://test.com') AS path2,
 URL_EXTRACT_PORT('http://localhost:8080/path') AS port, URL_EXTRACT_PROTOCOL('http://test.com?a=foo&b=bar') AS proto,
 URL_EXTRACT_QUERY('http://test.com?a=foo%20bar&b=baz') AS query, URL_EXTRACT_QUERY(u) AS query2
FROM s;
