# Sourced by .ci/run: installs (if missing) and starts a PostgreSQL server on loopback, then exports
# VEIL_TEST_POSTGRES_URL for the ledger's PostgreSQL tests. Being written (issue 6).
: "${VEIL_TEST_POSTGRES_URL:=}"
export VEIL_TEST_POSTGRES_URL
