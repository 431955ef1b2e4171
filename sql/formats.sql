-- formats: a corrupt, truncated or foreign blob is an error, never a crash
SET automl.progress = off;
SELECT model, version FROM automl_train('concrete', 'compressive_strength', name => 'blob_test',
	options => '{"algorithm": "linear"}');
-- version 1: no generated features (version 2 is in train.sql)
SELECT substring(model from 1 for 4) AS magic, get_byte(model, 4) AS format_version FROM automl.models WHERE name = 'blob_test';

-- flip one byte in the middle: the checksum catches it
UPDATE automl.models SET model = set_byte(model, length(model) / 2, (get_byte(model, length(model) / 2) + 1) % 256)
 WHERE name = 'blob_test';
SELECT automl_predict('blob_test', c) FROM concrete c LIMIT 1;

-- truncated
UPDATE automl.models SET model = substring(model from 1 for 40) WHERE name = 'blob_test';
SELECT automl_model_info('blob_test');
UPDATE automl.models SET model = '\x00'::bytea WHERE name = 'blob_test';
SELECT automl_model_info('blob_test');

-- not ours
UPDATE automl.models SET model = convert_to(repeat('hello world ', 20), 'UTF8') WHERE name = 'blob_test';
SELECT automl_model_info('blob_test');

-- a future format version
UPDATE automl.models m SET model = set_byte(o.model, 4, 9)
  FROM automl.models o WHERE o.name = 'customers_churn' AND o.version = 1 AND m.name = 'blob_test';
SELECT automl_model_info('blob_test');

-- the backend is still fine
SELECT automl_predict('concrete_compressive_strength', c) IS NOT NULL AS alive FROM concrete c LIMIT 1;
RESET automl.progress;
