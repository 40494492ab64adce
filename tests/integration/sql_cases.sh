#!/usr/bin/env bash
# sql_cases.sh — every case in tests/sql/cases/ through `sluice test-runner`:
# a folder holds statements.sql, input.json and output.json (ksqlDB's
# ksql-test-runner files) and, when the run must not pass, a file `expect`:
# the exit status on its first line (1: outputs differ, 2: a statement or a
# file rejected) and text the runner must print on the next.
set -euo pipefail
source "$(dirname "$0")/lib.bash"

CASES="$(cd "$(dirname "$0")/../sql/cases" && pwd)"
n=0
for dir in "$CASES"/*/; do
    name=$(basename "$dir")
    want=0 text=""
    if [ -f "$dir/expect" ]; then
        want=$(sed -n 1p "$dir/expect")
        text=$(sed -n 2p "$dir/expect")
    fi
    # A case meant to pass must expect some output: ksqlDB's runner (and ours)
    # compares only the topics the expected outputs name, so an empty list
    # would pass whatever the queries write.
    if [ "$want" -eq 0 ] && ! grep -q '"topic"' "$dir/output.json"; then
        fail "case $name: no expected outputs (a case that cannot fail)"
    fi
    rc=0
    sl_run "$SLUICE" test-runner -s "$dir/statements.sql" -i "$dir/input.json" -o "$dir/output.json" \
        >"$SL_TMP/$name.out" 2>&1 || rc=$?
    [ "$rc" -eq "$want" ] ||
        fail "case $name: exit status $rc, expected $want:$(printf '\n'; cat "$SL_TMP/$name.out")"
    if [ -n "$text" ] && ! grep -qF -- "$text" "$SL_TMP/$name.out"; then
        fail "case $name: the output does not say '$text':$(printf '\n'; cat "$SL_TMP/$name.out")"
    fi
    n=$((n + 1))
done
[ "$n" -gt 0 ] || fail "no cases in $CASES"
step "$n cases"
