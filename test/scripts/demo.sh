#!/bin/bash
# demo.sh: the README's quick start.  On a fresh Debian 12 machine, as root,
# from the repository root: installs PostgreSQL 15 and the build tools if
# needed, builds and installs automl, starts a throwaway PostgreSQL cluster,
# loads the telecom churn table, trains a model with one call, shows the
# leaderboard and the stored model, scores rows, writes the model's report
# (one self-contained HTML page, $AUTOML_REPORT, default
# /tmp/customers_churn_report.html) and stops the cluster (its directory
# is removed however the script ends).

set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$AUTOML_ROOT"

# psql as a client of the throwaway cluster: no ~/.psqlrc, stop at the
# first error
PSQL=("$AUTOML_PG_BINDIR/psql" -X -v ON_ERROR_STOP=1)

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh must run as root (it installs packages and the extension," \
		"and runs PostgreSQL as the postgres user)" >&2
	exit 1
fi

automl_install_deps

# build quietly; show the compiler's output only when the build fails
automl_tmpdir
if ! automl_build >"$AUTOML_TMP/build.log" 2>&1; then
	cat "$AUTOML_TMP/build.log" >&2
	echo "error: the build failed" >&2
	exit 1
fi
automl_log "automl built and installed"

automl_cluster_start

automl_log "loading test/data/telecom_churn.csv into table customers"
"${PSQL[@]}" -q <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION automl;
CREATE TABLE customers (
	state text,
	account_length int,
	area_code text,
	international_plan text,
	voice_mail_plan text,
	number_vmail_messages int,
	total_day_minutes float8,
	total_day_calls int,
	total_day_charge float8,
	total_eve_minutes float8,
	total_eve_calls int,
	total_eve_charge float8,
	total_night_minutes float8,
	total_night_calls int,
	total_night_charge float8,
	total_intl_minutes float8,
	total_intl_calls int,
	total_intl_charge float8,
	number_customer_service_calls int,
	churn text
);
\copy customers FROM 'test/data/telecom_churn.csv' CSV HEADER
SQL
echo "$("${PSQL[@]}" -Atc 'SELECT count(*) FROM customers') customers loaded"
echo

# run the demo, echoing each query before its result
"${PSQL[@]}" -e <test/scripts/demo.sql

# the model report: one HTML file to open in any browser, offline
REPORT=${AUTOML_REPORT:-/tmp/customers_churn_report.html}
echo
echo "== 9. The model report: one self-contained HTML page"
echo
echo "psql -XAt -c \"SELECT automl_report('customers_churn')\" -o $REPORT"
"${PSQL[@]}" -At -c "SELECT automl_report('customers_churn')" -o "$REPORT"
echo "the report of customers_churn is in $REPORT ($(wc -c <"$REPORT") bytes): open it in a browser"
echo

automl_cluster_stop
automl_log "done (the demo's PostgreSQL cluster was stopped and removed)"
