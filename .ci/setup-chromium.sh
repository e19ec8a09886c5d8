# Sourced by .ci/run (root, Debian 12, set -euo pipefail): installs Debian's chromium when it is missing and
# exports VEIL_CHROMIUM, the browser the compliance report rendering test (src/compliance/render.test.ts)
# launches through playwright-core. Without it that test skips, or fails under VEIL_REQUIRE_SERVICES=1.
if ! command -v chromium >/dev/null 2>&1; then
  echo "setup-chromium: installing Debian's chromium (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
VEIL_CHROMIUM="$(command -v chromium)"
export VEIL_CHROMIUM
echo "setup-chromium: VEIL_CHROMIUM=${VEIL_CHROMIUM} ($("${VEIL_CHROMIUM}" --version 2>/dev/null || echo 'version unknown'))" >&2
