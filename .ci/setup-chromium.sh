# Sourced by .ci/run: installs Debian's chromium (if missing) and exports VEIL_CHROMIUM for the report
# rendering test. Being written (issue 6).
: "${VEIL_CHROMIUM:=}"
export VEIL_CHROMIUM
