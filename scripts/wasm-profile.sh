#!/usr/bin/env bash
# Size profile of the toolbar's wasm, as the release build ships it but with a name section, so
# twiggy can name what the bytes are. Usage: scripts/wasm-profile.sh [cargo features…]
#   FEATURES="huawei" scripts/wasm-profile.sh      one vendor
# Prints raw/gzip of the shipped (name-stripped) file and twiggy's top items and dominators.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
out=${PROFILE_DIR:-target/wasm-profile}
mkdir -p "$out"
args=(--release --target wasm32-unknown-unknown -p agentbar)
if [ -n "${FEATURES:-}" ]; then args+=(--no-default-features --features "$FEATURES"); fi
cargo build "${args[@]}" >&2
wasm-bindgen --target web --keep-debug --out-dir "$out" target/wasm32-unknown-unknown/release/agentbar.wasm
flags=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-reference-types --enable-mutable-globals)
wasm-opt -Oz -g "${flags[@]}" "$out/agentbar_bg.wasm" -o "$out/named.wasm"
wasm-opt -Oz "${flags[@]}" --strip-debug --strip-producers "$out/agentbar_bg.wasm" -o "$out/shipped.wasm"
raw=$(stat -c %s "$out/shipped.wasm"); gz=$(gzip -9 -c "$out/shipped.wasm" | wc -c)
echo "shipped wasm: $raw bytes raw, $gz bytes gzip -9 (features: ${FEATURES:-default})"
twiggy top -n "${TOP:-25}" "$out/named.wasm"
twiggy dominators -d 2 -r "${DOMINATORS:-30}" "$out/named.wasm"
