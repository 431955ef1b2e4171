-- realdata: the deployed models beat their baselines by a clear margin
SELECT name, metric, test_score > 0.80 AS auc_above_080, test_score > baseline_score AS beats_baseline
  FROM automl.deployed_models WHERE name = 'customers_churn';
SELECT name, (metrics->>'r2')::float8 > 0.5 AS r2_above_05
  FROM automl.models WHERE name = 'concrete_compressive_strength';
SELECT name, (metrics->>'accuracy')::float8 > 0.9 AS accuracy_above_09
  FROM automl.models WHERE name = 'penguins_species';
