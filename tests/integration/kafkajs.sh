#!/usr/bin/env bash
# kafkajs.sh — runs tests/js/kafkajs.mjs (kafkajs 2.2.4: admin, plain, GZIP
# and idempotent producers, read back with kafkajs's low-level Fetch) against
# a fresh broker. Needs Node.js and tests/js/node_modules (`make deps`); when
# they are missing this FAILS, saying so: it never skips.
set -euo pipefail
source "$(dirname "$0")/lib.bash"
source "$(dirname "$0")/js.bash"

sl_js_require 14.0.0 kafkajs     # kafkajs 2.2.4 needs Node.js >= 14
sl_broker_start "$SL_TMP/data"
step "node tests/js/kafkajs.mjs"
SLUICE_BOOTSTRAP=$BOOTSTRAP SLUICE_DATA_DIR=$SL_TMP/data KAFKAJS_NO_PARTITIONER_WARNING=1 \
    timeout -k 5 120 node "$SL_JS_DIR/kafkajs.mjs" || fail "kafkajs.mjs failed (exit $?)"
sl_broker_stop
