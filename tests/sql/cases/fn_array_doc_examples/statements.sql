-- The collection examples of ksqlDB's function reference: ARRAY_MAX, ARRAY_MIN, ARRAY_SORT (NULLs
-- last, upper case before lower case), ARRAY_REMOVE (also of NULL), ARRAY_DISTINCT/EXCEPT/INTERSECT/
-- UNION with NULL elements, ELT and FIELD out of range or NULL, JSON_ARRAY_CONTAINS of a non-array.
CREATE STREAM s (x STRING) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT
 ARRAY_MAX(ARRAY[-1, 2, NULL, 0]) AS max1, ARRAY_MAX(ARRAY[false, NULL, true]) AS max2,
 ARRAY_MAX(ARRAY['Foo', 'Bar', NULL, 'baz']) AS max3,
 ARRAY_MIN(ARRAY[-1, 2, NULL, 0]) AS min1, ARRAY_MIN(ARRAY[false, NULL, true]) AS min2,
 ARRAY_MIN(ARRAY['Foo', 'Bar', NULL, 'baz']) AS min3,
 ARRAY_SORT(ARRAY[-1, 2, NULL, 0]) AS sort1, ARRAY_SORT(ARRAY[false, NULL, true]) AS sort2,
 ARRAY_SORT(ARRAY['Foo', 'Bar', NULL, 'baz']) AS sort3, ARRAY_SORT(ARRAY['Foo', 'Bar', NULL, 'baz'], 'DESC') AS sort4,
 ARRAY_REMOVE(ARRAY[1, 2, 3, 2, 1], 2) AS rm1, ARRAY_REMOVE(ARRAY[false, NULL, true, true], false) AS rm2,
 ARRAY_REMOVE(ARRAY['Foo', 'Bar', NULL, 'baz'], NULL) AS rm3,
 ARRAY_DISTINCT(ARRAY['apple', 'apple', NULL, 'cherry']) AS dist,
 ARRAY_EXCEPT(ARRAY['apple', 'apple', NULL, 'cherry'], ARRAY['cherry']) AS exc,
 ARRAY_INTERSECT(ARRAY[1, 2, 3, 1, 2], ARRAY[2, 1]) AS isect,
 ARRAY_UNION(ARRAY['apple', 'apple', NULL, 'cherry'], ARRAY['cherry']) AS uni,
 ARRAY_LENGTH(ARRAY[1, 2, 3]) AS len, ARRAY_JOIN(ARRAY[1, 2, 3]) AS joined,
 ELT(2, 'a', x) AS elt1, ELT(0, 'a', x) AS elt2, ELT(3, 'a', x) AS elt3,
 FIELD(x, 'a', 'b') AS fld1, FIELD(CAST(NULL AS STRING), 'a', 'b') AS fld2, FIELD('z', 'a') AS fld3,
 JSON_ARRAY_CONTAINS('[1, 2, 3]', 3) AS jac1, JSON_ARRAY_CONTAINS('{"a": 3}', 3) AS jac2,
 SLICE(ARRAY[1, 2, 3, 4], 2, 3) AS sl
FROM s;
