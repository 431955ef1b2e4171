#!/bin/bash
# run_unit.sh: runs each unit-test program and sums their counts.
passed=0; failed=0
for b in "$@"; do
	out=$("./$b" 2>&1); rc=$?
	echo "$out" | sed "s|^|$(basename "$b" .bin): |"
	line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
	if [ -z "$line" ]; then failed=$((failed + 1)); echo "$b: crashed or no summary (rc=$rc)"; continue; fi
	p=${line%% passed*}; f=${line#*, }; f=${f%% failed}
	passed=$((passed + p)); failed=$((failed + f))
	[ $rc -ne 0 ] && [ "$f" = 0 ] && failed=$((failed + 1))
done
echo "unit: $passed passed, $failed failed"
[ $failed -eq 0 ]
