-- upgrade: DROP EXTENSION removes everything; the versioned script installs
DROP EXTENSION automl CASCADE;
SELECT count(*) AS automl_schemas FROM pg_namespace WHERE nspname = 'automl';
SELECT count(*) AS automl_functions FROM pg_proc WHERE proname LIKE 'automl%';
CREATE EXTENSION automl VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'automl';
SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'automl')
 ORDER BY pg_describe_object(classid, objid, objsubid) COLLATE "C";
