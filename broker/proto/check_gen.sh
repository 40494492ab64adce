#!/bin/sh
# check_gen.sh — fails when the committed generated codecs (broker/proto/kmsg.[ch],
# tests/proto/kmsg_testgen.c) differ from what gen.py makes from the specs now.
#
# Usage: broker/proto/check_gen.sh [SPEC_DIR]
#   SPEC_DIR defaults to ../shared/kafka-protocol beside the repository.
# For CTest: add_test(NAME proto.gen_current COMMAND sh ${CMAKE_SOURCE_DIR}/broker/proto/check_gen.sh)
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
spec=${1:-$root/../shared/kafka-protocol}
if [ ! -f "$spec/ProduceRequest.json" ]; then
    # The specs live beside the repository, not in it: without them there is
    # nothing to compare (CTest reports this as skipped, code 77).
    echo "check_gen.sh: no Kafka message specs at $spec; skipped" >&2
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
python3 "$root/broker/proto/gen.py" "$spec" "$tmp" "$tmp/kmsg_testgen.c"
status=0
diff -u "$root/broker/proto/kmsg.h" "$tmp/kmsg.h" || status=1
diff -u "$root/broker/proto/kmsg.c" "$tmp/kmsg.c" || status=1
diff -u "$root/tests/proto/kmsg_testgen.c" "$tmp/kmsg_testgen.c" || status=1
if [ "$status" -ne 0 ]; then
    echo "check_gen.sh: generated code is stale; regenerate with" >&2
    echo "  python3 broker/proto/gen.py $spec broker/proto tests/proto/kmsg_testgen.c" >&2
    exit 1
fi
echo "check_gen.sh: generated code is current"
