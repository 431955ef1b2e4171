-- catalog: tables, views, dump registration, leaderboard
SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'automl' AND c.relkind IN ('r', 'v', 'S') ORDER BY 1;
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'automl' ORDER BY 1;
SELECT p.proname, p.provolatile, p.proparallel FROM pg_proc p
 WHERE p.proname LIKE 'automl%' ORDER BY 1, 2;
-- every version has a ranked leaderboard starting at 1 with no gaps
SELECT count(*) AS versions_with_bad_ranks FROM (
	SELECT model_id FROM automl.candidates GROUP BY model_id HAVING min(rank) <> 1 OR max(rank) <> count(*)) s;
-- rank 1 is the best validation score
SELECT bool_and(ok) AS rank1_is_best FROM (
	SELECT CASE WHEN m.metric IN ('rmse', 'mae', 'log_loss') THEN c.score <= ALL (SELECT score FROM automl.candidates c2 WHERE c2.model_id = c.model_id AND c2.score IS NOT NULL)
				ELSE c.score >= ALL (SELECT score FROM automl.candidates c2 WHERE c2.model_id = c.model_id AND c2.score IS NOT NULL) END AS ok
	  FROM automl.candidates c JOIN automl.models m ON m.id = c.model_id
	 WHERE c.rank = 1 AND c.score IS NOT NULL) s;
SELECT model, version, rank, learner IS NOT NULL AS has_learner FROM automl.leaderboard WHERE model = 'customers_churn' AND version = 1 AND rank <= 1;
-- metrics of the winner and the baseline (a random forest winner also stores its out-of-bag
-- estimate, oob_*: which learner wins is the search's choice, so those are not listed)
SELECT name, k.key AS metric FROM automl.models, jsonb_object_keys(metrics) AS k(key)
 WHERE name = 'customers_churn' AND version = 1 AND k.key NOT LIKE 'oob\_%' ORDER BY 2;
SELECT name, jsonb_object_keys(baseline) AS metric FROM automl.models WHERE name = 'concrete_compressive_strength' ORDER BY 2;
SELECT name, jsonb_object_keys(metrics) AS metric FROM automl.models WHERE name = 'penguins_species' ORDER BY 2;
SELECT name, version FROM automl.deployed_models ORDER BY name COLLATE "C";
