-- realdata: the deployed models beat their baselines by a clear margin
SELECT name, metric, test_score > 0.80 AS auc_above_080, test_score > baseline_score AS beats_baseline
  FROM automl.deployed_models WHERE name = 'customers_churn';
SELECT name, (metrics->>'r2')::float8 > 0.5 AS r2_above_05
  FROM automl.models WHERE name = 'concrete_compressive_strength';
SELECT name, (metrics->>'accuracy')::float8 > 0.9 AS accuracy_above_09
  FROM automl.models WHERE name = 'penguins_species';

-- every other shipped table: the search beats the baseline on its test split
CREATE TABLE credit (
	checking_status text, duration int, credit_history text, purpose text, credit_amount float8,
	savings_status text, employment text, installment_commitment int, personal_status text,
	other_parties text, residence_since int, property_magnitude text, age int,
	other_payment_plans text, housing text, existing_credits int, job text, num_dependents int,
	own_telephone text, foreign_worker text, class text);
\copy credit FROM 'test/data/german_credit.csv' CSV HEADER
CREATE TABLE titanic (pclass text, survived text, sex text, age float8, sibsp int, parch int);
\copy titanic FROM 'test/data/titanic.csv' CSV HEADER
CREATE TABLE wine (
	alcohol float8, malic_acid float8, ash float8, alcalinity_of_ash float8, magnesium int,
	total_phenols float8, flavanoids float8, nonflavanoid_phenols float8, proanthocyanins float8,
	color_intensity float8, hue float8, od280_od315_of_diluted_wines float8, proline int, cultivar int);
\copy wine FROM 'test/data/wine.csv' CSV HEADER
SET automl.progress = off;
SET client_min_messages = warning;
SELECT model, task, metric,
	   CASE WHEN metric IN ('rmse', 'mae', 'log_loss') THEN test_score < baseline_score ELSE test_score > baseline_score END AS beats_baseline
  FROM (SELECT * FROM automl_train('credit', 'class', budget => '6 seconds')
		UNION ALL SELECT * FROM automl_train('titanic', 'survived', budget => '4 seconds')
		UNION ALL SELECT * FROM automl_train('wine', 'cultivar', budget => '4 seconds')) r
 ORDER BY model;
SELECT name, (metrics->>'roc_auc')::float8 > 0.70 AS credit_auc_above_070 FROM automl.models WHERE name = 'credit_class';
SELECT name, (metrics->>'accuracy')::float8 > 0.85 AS wine_accuracy_above_085 FROM automl.models WHERE name = 'wine_cultivar';
RESET client_min_messages;
RESET automl.progress;
