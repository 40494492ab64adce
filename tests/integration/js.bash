# js.bash — for the scripts that run the JavaScript client tests (sourced
# after lib.bash; not a test itself).

SL_JS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../js" && pwd)

# sl_js_require MIN_NODE PACKAGE... — node (at least version MIN_NODE, e.g.
# 20.19.4) and the packages must be there: anything missing is a failure
# with a clear message, never a skip.
sl_js_require() {
    local min=$1 p; shift
    command -v node >/dev/null ||
        fail "node is not installed: 'make deps' installs Node.js and the packages of tests/js"
    node -e '
        const [a, b] = [process.versions.node, process.argv[1]].map(v => v.split(".").map(Number))
        process.exit((a[0] - b[0] || a[1] - b[1] || a[2] - b[2]) >= 0 ? 0 : 1)' "$min" ||
        fail "node $(node --version) is too old: this test needs Node.js >= $min"
    for p in "$@"; do
        [ -f "$SL_JS_DIR/node_modules/$p/package.json" ] ||
            fail "$SL_JS_DIR/node_modules/$p is missing: run 'make deps' (npm ci in tests/js)"
    done
    step "node $(node --version); $(for p in "$@"; do printf '%s@%s ' "$p" \
        "$(node -p "require('$SL_JS_DIR/node_modules/$p/package.json').version")"; done)"
}
