# Sourced by .ci/run (root, Debian 12, set -euo pipefail), or run by developers (`npm run pg:start`): starts a
# throwaway PostgreSQL server on 127.0.0.1 for the ledger's PostgreSQL tests and exports
#   VEIL_TEST_POSTGRES_URL=postgres://veil:veil@127.0.0.1:$VEIL_PG_PORT/postgres
# (role `veil`, password `veil`, CREATEDB: each test creates and drops its own veil_test_* database).
# Installs Debian's postgresql with apt-get when no server binaries are found (root only). Idempotent: a server
# already answering on the port is reused. The server keeps running afterwards; stop it with
#   pg_ctl -D "$VEIL_PG_DIR/data" stop   (as the user that started it: `postgres` under root)
# Settings: VEIL_PG_PORT (default 55432), VEIL_PG_DIR (default /tmp/veil-postgres-$VEIL_PG_PORT).
# Test-only settings: fsync off (nothing here must survive a power cut), 300 connections (the e2e test runs 100
# spender processes, one connection each).

if [ "${BASH_SOURCE[0]}" = "$0" ]; then set -euo pipefail; fi

veil_setup_postgres() {
  local port="${VEIL_PG_PORT:-55432}"
  local dir="${VEIL_PG_DIR:-/tmp/veil-postgres-$port}"
  local url="postgres://veil:veil@127.0.0.1:$port/postgres"
  local bin="" as=() owner
  if [ "$(id -u)" = 0 ]; then
    as=(runuser -u postgres --) # the server refuses to run as root
    owner=postgres
  else
    owner="$(id -un)"
  fi

  bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -z "$bin" ] && command -v initdb >/dev/null 2>&1; then bin="$(dirname "$(command -v initdb)")"; fi
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "setup-postgres: no PostgreSQL server binaries found; install postgresql (apt-get install postgresql)" >&2
      return 1
    fi
    echo "setup-postgres: installing postgresql (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi

  if ! "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    mkdir -p "$dir"
    chown "$owner" "$dir"
    chmod 700 "$dir"
    if [ ! -s "$dir/data/PG_VERSION" ]; then
      rm -rf "$dir/data"
      "${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
      }
    fi
    # -w waits until the server accepts connections (or 30 s pass, then fails and prints the log)
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=300 \
          -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null || {
      tail -n 20 "$dir/server.log" >&2
      return 1
    }
    # the role the tests connect as (over TCP, with a password, as a deployment would)
    "${as[@]}" "$bin/psql" -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres -c "
      DO \$\$ BEGIN
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'veil') THEN
          CREATE ROLE veil LOGIN CREATEDB PASSWORD 'veil';
        END IF;
      END \$\$;
      -- tests drop their databases WITH (FORCE), which may end a backend still finishing a refused login
      GRANT pg_signal_backend TO veil;"
  fi
  PGPASSWORD=veil PGCONNECT_TIMEOUT=10 "$bin/psql" -q -v ON_ERROR_STOP=1 "$url" -c 'select 1' >/dev/null
  export VEIL_TEST_POSTGRES_URL="$url"
  echo "setup-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
}

veil_setup_postgres
unset -f veil_setup_postgres
# Run rather than sourced (npm run pg:start): say what to export.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then echo "export VEIL_TEST_POSTGRES_URL=$VEIL_TEST_POSTGRES_URL"; fi
