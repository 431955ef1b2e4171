-- setup: the extension and the tables every other test uses
SET client_min_messages = warning;
CREATE EXTENSION automl;
RESET client_min_messages;

-- telecom churn (MLC++ churn, the AutoML Benchmark's "churn")
CREATE TABLE customers (
	state text, account_length int, area_code text, international_plan text,
	voice_mail_plan text, number_vmail_messages int, total_day_minutes float8,
	total_day_calls int, total_day_charge float8, total_eve_minutes float8,
	total_eve_calls int, total_eve_charge float8, total_night_minutes float8,
	total_night_calls int, total_night_charge float8, total_intl_minutes float8,
	total_intl_calls int, total_intl_charge float8,
	number_customer_service_calls int, churn text);
\copy customers FROM 'test/data/telecom_churn.csv' CSV HEADER

-- concrete compressive strength (regression)
CREATE TABLE concrete (
	cement float8, blast_furnace_slag float8, fly_ash float8, water float8,
	superplasticizer float8, coarse_aggregate float8, fine_aggregate float8,
	age int, compressive_strength float8);
\copy concrete FROM 'test/data/concrete.csv' CSV HEADER

-- palmer penguins (multiclass, with NULLs)
CREATE TABLE penguins (
	species text, island text, bill_length_mm float8, bill_depth_mm float8,
	flipper_length_mm int, body_mass_g int, sex text, year int);
\copy penguins FROM 'test/data/penguins.csv' CSV HEADER

-- a small table with every supported type, NULLs, an id and a constant
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE kinds AS
SELECT i AS id,
	   (i % 7)::int2 AS small,
	   (i * 37 % 101)::int8 AS big,
	   CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 13) / 3.0 END::float4 AS f4,
	   ((i * 7919) % 1000 / 10.0)::numeric(6, 2) AS num,
	   (i % 3 = 0) AS flag,
	   CASE WHEN i % 9 = 0 THEN NULL ELSE (ARRAY['red', 'green', 'blue'])[i % 3 + 1] END AS color,
	   (ARRAY['sad', 'ok', 'happy'])[i % 3 + 1]::mood AS feeling,
	   ('2024-01-01'::date + i) AS day,
	   ('2024-01-01 00:00'::timestamp + i * interval '5 hours') AS at,
	   ('2024-01-01 00:00+00'::timestamptz + i * interval '7 hours') AS at_tz,
	   'same'::varchar(10) AS constant_col,
	   ('{"k": ' || i || '}')::jsonb AS doc,
	   ('c' || (i % 4))::char(3) AS code,
	   CASE WHEN (i % 3 = 0) <> (i % 7 < 2) THEN 'yes' ELSE 'no' END AS label,
	   (i % 7) * 2.5 + (i % 3) * 4 + (i % 5) AS amount
  FROM generate_series(1, 400) i;
SELECT count(*) AS customers FROM customers;
SELECT count(*) AS concrete FROM concrete;
SELECT count(*) AS penguins FROM penguins;
