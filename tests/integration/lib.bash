# lib.bash — shared by the integration scripts (sourced, never run: CMake
# makes a test of every tests/integration/*.sh, and this file is not one).
#
# Each script gets a private temporary directory ($SL_TMP) and brokers on
# ephemeral ports; an EXIT trap stops every process it started and removes
# the directory, whether the script passes or fails. Timeouts are generous
# because the same scripts run under AddressSanitizer on a loaded 2-core box.

: "${SLUICE:?SLUICE must name the sluice binary (ctest sets it; e.g. SLUICE=build/bin/sluice)}"
[ -x "$SLUICE" ] || { echo "FAIL: SLUICE=$SLUICE is not an executable" >&2; exit 1; }

SL_TEST=$(basename "$0" .sh)
SL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sluice-$SL_TEST.XXXXXX")
SL_T0=$(date +%s%N)
SL_PIDS=()          # background processes to stop on exit (brokers, producers)
BROKER_PID=""       # the current broker, set by sl_broker_start
BROKER_LOG=""       # its stderr
BOOTSTRAP=""        # 127.0.0.1:PORT of the current broker
PORT=""

# Generous per-command timeout (seconds) for client commands.
SL_CMD_TIMEOUT=${SL_CMD_TIMEOUT:-60}

sl_elapsed() { echo $(( ($(date +%s%N) - SL_T0) / 1000000 )); }

# step MSG — progress line, with milliseconds since the script started.
step() { printf '[%s %6d ms] %s\n' "$SL_TEST" "$(sl_elapsed)" "$*"; }

# fail MSG — print why (and the broker's last trace lines) and stop the script.
fail() {
    printf 'FAIL [%s]: %s\n' "$SL_TEST" "$*" >&2
    if [ -n "$BROKER_LOG" ] && [ -s "$BROKER_LOG" ]; then
        echo "--- last lines of the broker's stderr ($BROKER_LOG):" >&2
        tail -n 30 "$BROKER_LOG" >&2
    fi
    exit 1
}

sl_cleanup() {
    local rc=$? pid
    set +e
    for pid in "${SL_PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${SL_PIDS[@]}"; do
        for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ "$rc" -ne 0 ] && [ -n "${SL_KEEP_TMP:-}" ]; then
        echo "kept $SL_TMP for inspection" >&2
    else
        rm -rf "$SL_TMP"
    fi
    if [ "$rc" -eq 0 ]; then step "PASS"; else echo "[$SL_TEST] FAILED (exit $rc) after $(sl_elapsed) ms" >&2; fi
    exit "$rc"
}
trap sl_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sl_forget_pid() {
    local keep=() p
    for p in "${SL_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    SL_PIDS=("${keep[@]}")
}

# sl_broker_start DATA_DIR [ARGS...] — start a broker on 127.0.0.1:0 and wait
# (up to 60 s) for its "listening on" line; sets BROKER_PID, PORT, BOOTSTRAP.
sl_broker_start() {
    local dir=$1; shift
    local n=$(( ${#SL_PIDS[@]} + 1 ))
    local out="$SL_TMP/broker$n.out"
    BROKER_LOG="$SL_TMP/broker$n.err"
    "$SLUICE" broker --listen 127.0.0.1:0 --data-dir "$dir" "$@" >"$out" 2>"$BROKER_LOG" &
    BROKER_PID=$!
    SL_PIDS+=("$BROKER_PID")
    local line=""
    for _ in $(seq 600); do
        line=$(grep -m1 'listening on' "$out" 2>/dev/null || true)
        [ -n "$line" ] && break
        kill -0 "$BROKER_PID" 2>/dev/null || fail "broker exited before it was ready: $(cat "$out" "$BROKER_LOG")"
        sleep 0.1
    done
    [ -n "$line" ] || fail "broker not ready after 60 s"
    PORT=$(sed -n 's/^sluice broker: node [0-9]* listening on 127\.0\.0\.1:\([0-9][0-9]*\), data in .*$/\1/p' <<<"$line")
    [ -n "$PORT" ] && [ "$PORT" -gt 0 ] || fail "cannot parse the port from: $line"
    BOOTSTRAP=127.0.0.1:$PORT
    export SLUICE_BOOTSTRAP=$BOOTSTRAP
    step "broker $BROKER_PID listening on $BOOTSTRAP (data $dir)"
}

# sl_broker_stop — SIGTERM the current broker; it must exit 0 within 60 s.
sl_broker_stop() {
    local pid=$BROKER_PID rc=0
    kill -TERM "$pid"
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && fail "broker $pid still running 60 s after SIGTERM"
    wait "$pid" || rc=$?
    sl_forget_pid "$pid"
    [ "$rc" -eq 0 ] || fail "broker exited with status $rc after SIGTERM"
    step "broker $pid stopped (SIGTERM, exit 0)"
}

# sl_broker_kill — SIGKILL the current broker (no chance to clean up).
sl_broker_kill() {
    local pid=$BROKER_PID
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    sl_forget_pid "$pid"
    step "broker $pid killed (SIGKILL)"
}

# sl_run CMD... — run a client command with the standard timeout.
sl_run() { timeout -k 5 "$SL_CMD_TIMEOUT" "$@"; }

# sl_same A B WHAT — the two files must be byte-identical.
sl_same() {
    if ! cmp -s "$1" "$2"; then
        echo "--- $3: expected $(wc -c <"$1") bytes / $(wc -l <"$1") lines, got $(wc -c <"$2") bytes / $(wc -l <"$2") lines; first difference:" >&2
        cmp "$1" "$2" >&2 || true
        diff <(head -c 200000 "$1" | cut -c1-120) <(head -c 200000 "$2" | cut -c1-120) | head -n 10 >&2 || true
        fail "$3: output differs from input"
    fi
}

# sl_free_ports N — N distinct free ports on 127.0.0.1, space-separated (each
# bound and released: another process could take one meanwhile, rarely).
sl_free_ports() {
    python3 -c '
import socket, sys
s = [socket.socket() for _ in range(int(sys.argv[1]))]
for x in s: x.bind(("127.0.0.1", 0))
print(" ".join(str(x.getsockname()[1]) for x in s))
for x in s: x.close()' "$1"
}

# sl_wait_until SECONDS CMD... — run CMD every 0.2 s until it succeeds;
# status 1 when it never did.
sl_wait_until() {
    local secs=$1; shift
    for _ in $(seq $((secs * 5))); do "$@" && return 0; sleep 0.2; done
    return 1
}

# For a cluster (SLUICE_BOOTSTRAP names its brokers): `sluice cluster
# status` (empty when no broker answers), and whether it shows N brokers and
# no under-replicated or offline partition.
sl_cluster_status() { sl_run "$SLUICE" cluster status --timeout-ms 5000 2>/dev/null || true; }
sl_cluster_in_sync() {
    local s; s=$(sl_cluster_status)
    grep -q "under-replicated: 0, offline: 0" <<<"$s" && grep -q "$1 broker(s)" <<<"$s"
}
sl_cluster_has() { sl_cluster_status | grep -q "$1 broker(s)"; }

# A cluster of N nodes on this machine. sl_cluster_init N picks the ports
# (P[0..N-1]: Kafka listeners, P[N..2N-1]: Raft voters) and sets QUORUM,
# SLUICE_BOOTSTRAP (every listener) and NODE_PID (node id -> pid).
sl_cluster_init() {
    local n=$1 i q="" b=""
    read -r -a P <<<"$(sl_free_ports $((2 * n)))"
    for ((i = 1; i <= n; i++)); do
        q+="${q:+,}$i@127.0.0.1:${P[$((n + i - 1))]}"
        b+="${b:+,}127.0.0.1:${P[$((i - 1))]}"
    done
    QUORUM=$q
    export SLUICE_BOOTSTRAP=$b
    declare -gA NODE_PID=()
}

# sl_cluster_start_node I [ARGS...] — start node I (data in $SL_TMP/dI, its
# output appended to $SL_TMP/nodeI.out and .err) with extra broker ARGS.
sl_cluster_start_node() {
    local i=$1; shift
    "$SLUICE" broker --node-id "$i" --listen "127.0.0.1:${P[$((i - 1))]}" --data-dir "$SL_TMP/d$i" \
        --controller-quorum "$QUORUM" "$@" >>"$SL_TMP/node$i.out" 2>>"$SL_TMP/node$i.err" &
    NODE_PID[$i]=$!
    SL_PIDS+=("${NODE_PID[$i]}")
}

# sl_cluster_kill_node I — SIGKILL node I and reap it.
sl_cluster_kill_node() {
    local pid=${NODE_PID[$1]}
    kill -KILL "$pid"
    wait "$pid" 2>/dev/null || true
    sl_forget_pid "$pid"
}
