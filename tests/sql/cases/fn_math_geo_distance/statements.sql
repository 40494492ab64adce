-- GEO_DISTANCE: great-circle distance in km (default) or miles.
CREATE STREAM s (lat1 DOUBLE, lon1 DOUBLE, lat2 DOUBLE, lon2 DOUBLE) WITH (KAFKA_TOPIC='s', VALUE_FORMAT='JSON', PARTITIONS=1);
CREATE STREAM t AS SELECT GEO_DISTANCE(lat1, lon1, lat2, lon2) AS km, GEO_DISTANCE(lat1, lon1, lat2, lon2, 'MI') AS mi FROM s;
