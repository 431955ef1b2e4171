#!/bin/bash
# browser_test.sh: renders the demo model's report in a real browser.
#
# Against the PostgreSQL server that PGHOST/PGPORT/PGUSER point at (with
# automl installed), it loads the telecom churn table into a scratch
# database, trains the demo model (customers_churn, a short budget), writes
# automl_report('customers_churn') to a file and opens it in headless
# Chromium (Debian's chromium package; installed when missing):
#
#   1. --dump-dom: the page loads, and the browser logs no console message
#      (a broken Content-Security-Policy hash, a parse error or a blocked
#      resource would show as one);
#   2. --screenshot: a PNG that is not blank (many distinct colours, most of
#      the picture not background), checked by a small PNG decoder in
#      Python's standard library (no PIL needed).
#
# Usage: browser_test.sh [--keep DIR]   (DIR receives report.html and
# report.png; docs/report.png is made this way).  Exits nonzero on failure.

set -euo pipefail

# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
cd "$AUTOML_ROOT"

KEEP=""
if [ "${1:-}" = "--keep" ]; then
	KEEP=${2:?--keep needs a directory}
fi

PSQL=("$AUTOML_PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1)
DB=automl_browser_test
WORK=$(mktemp -d /tmp/automl-browser.XXXXXX)
chmod 755 "$WORK"

cleanup() {
	"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "browser test: $*" >&2
	exit 1
}

automl_install_browser || fail "chromium is not installed and could not be installed"

# the demo model, as test/scripts/demo.sh trains it (with a short budget)
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
"${PSQL[@]}" -d "$DB" <<'SQL'
SET client_min_messages = warning;
SET automl.progress = off;
CREATE EXTENSION automl;
CREATE TABLE customers (
	state text, account_length int, area_code text, international_plan text,
	voice_mail_plan text, number_vmail_messages int, total_day_minutes float8,
	total_day_calls int, total_day_charge float8, total_eve_minutes float8,
	total_eve_calls int, total_eve_charge float8, total_night_minutes float8,
	total_night_calls int, total_night_charge float8, total_intl_minutes float8,
	total_intl_calls int, total_intl_charge float8,
	number_customer_service_calls int, churn text);
\copy customers FROM 'test/data/telecom_churn.csv' CSV HEADER
SELECT model FROM automl_train('customers', 'churn', budget => '10 seconds');
-- two drift checks, so that the History section charts them
SELECT major FROM automl_drift_record('customers_churn', 'customers');
SELECT major FROM automl_drift_record('customers_churn',
	'SELECT * FROM customers WHERE number_customer_service_calls >= 3');
SQL
"${PSQL[@]}" -d "$DB" -At -c "SELECT automl_report('customers_churn')" -o "$WORK/report.html"
[ -s "$WORK/report.html" ] || fail "automl_report returned nothing"

# chromium runs as root here: no sandbox, a private profile
CHROME=(chromium --headless --no-sandbox --disable-gpu --hide-scrollbars
	--user-data-dir="$WORK/profile" --enable-logging=stderr --v=0)

# 1. the page loads without a console message
timeout 120 "${CHROME[@]}" --dump-dom "file://$WORK/report.html" \
	>"$WORK/dom.html" 2>"$WORK/dom.log" || fail "chromium --dump-dom failed: $(tail -5 "$WORK/dom.log")"
if grep -E 'CONSOLE|Refused to|Uncaught' "$WORK/dom.log"; then
	fail "the page logged console messages (above)"
fi
charts=$(grep -o '<svg ' "$WORK/dom.html" | wc -l)
[ "$charts" -ge 6 ] || fail "the browser's DOM has $charts charts, expected at least 6"
grep -q 'Ranks a random test row with churn' "$WORK/dom.html" || fail "the summary is missing from the DOM"
grep -q '<figcaption>Drift over the checks</figcaption>' "$WORK/dom.html" || fail "the drift chart is missing from the DOM"

# 2. a screenshot that is not blank
timeout 120 "${CHROME[@]}" --window-size=1200,2600 --screenshot="$WORK/report.png" \
	"file://$WORK/report.html" >"$WORK/shot.log" 2>&1 || fail "chromium --screenshot failed: $(tail -5 "$WORK/shot.log")"
/usr/bin/python3 - "$WORK/report.png" <<'PY' || fail "the screenshot looks blank"
import struct, sys, zlib

def pixels(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 8 and ctype in (2, 6), "unexpected PNG format"
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    prev, rows, i = bytearray(stride), [], 0
    for _ in range(h):
        f, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

w, h, bpp, rows = pixels(sys.argv[1])
colours, counts = set(), {}
for r in rows[::4]:
    for x in range(0, w * bpp, bpp * 4):
        px = r[x:x + 3]
        colours.add(px)
        counts[px] = counts.get(px, 0) + 1
background = max(counts.values()) / sum(counts.values())
print("screenshot %dx%d: %d distinct colours, %.0f%% background" % (w, h, len(colours), background * 100))
sys.exit(0 if len(colours) >= 50 and background < 0.9 else 1)
PY

if [ -n "$KEEP" ]; then
	mkdir -p "$KEEP"
	cp "$WORK/report.html" "$WORK/report.png" "$KEEP/"
	echo "browser test: kept report.html and report.png in $KEEP"
fi
echo "browser test: ok ($charts charts, no console message)"
