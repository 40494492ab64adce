-- Java regex syntax (PCRE2): \d, look-ahead and look-behind, lazy quantifiers, inline (?i), named groups, leftmost-first alternation.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT REGEXP_EXTRACT('(?<=\$)\d+(?:\.\d\d)?', x) AS price, REGEXP_EXTRACT('<.+?>', x) AS tag, REGEXP_EXTRACT('(?i)total', x) AS word, REGEXP_EXTRACT('(?<k>\w+)=(?<v>\w+)', x, 2) AS v, REGEXP_EXTRACT('a|ab', x) AS alt, REGEXP_EXTRACT_ALL('\w+(?=;)', x) AS items FROM s;
