#!/usr/bin/env bash
# platformatic.sh — runs tests/js/platformatic.mjs (@platformatic/kafka:
# admin, producers with every codec it has, idempotent producer, read back
# with Consumer.fetch without a group) against a fresh broker. Needs Node.js
# and tests/js/node_modules (`make deps`); when they are missing this FAILS,
# saying so: it never skips.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/js.bash"

sl_js_require 20.19.4 @platformatic/kafka     # its package.json: engines node >= 20.19.4
sl_broker_start "$SL_TMP/data"
step "node tests/js/platformatic.mjs"
SLUICE_BOOTSTRAP=$BOOTSTRAP SLUICE_DATA_DIR=$SL_TMP/data \
    timeout -k 5 120 node "$SL_JS_DIR/platformatic.mjs" || fail "platformatic.mjs failed (exit $?)"
sl_broker_stop
