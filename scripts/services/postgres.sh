#!/usr/bin/env bash
# PostgreSQL for the audit tests: Debian's cluster (version 15), a role and a
# database for tapfleet. `start` is idempotent and silent when all is in
# place; it writes the connection URL to .bootstrap/postgres.url for tests.
set -euo pipefail
cd "$(dirname "$0")/../.."

PG_VERSION=15
CLUSTER=main
ROLE=tapfleet
PASSWORD=tapfleet
DATABASE=tapfleet_test
READY_TIMEOUT_S=60

say() { printf 'postgres.sh: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

as_postgres() { runuser -u postgres -- "$@"; }

cluster_status() {
	# pg_lsclusters -h: version cluster port status owner datadir logfile
	pg_lsclusters -h 2>/dev/null | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $4; exit }'
}

cluster_port() {
	pg_lsclusters -h | awk -v v="$PG_VERSION" -v c="$CLUSTER" '$1 == v && $2 == c { print $3; exit }'
}

psql_admin() {
	as_postgres psql --no-psqlrc -X -q -t -A -p "$(cluster_port)" -v ON_ERROR_STOP=1 "$@"
}

start() {
	command -v pg_lsclusters >/dev/null || die "postgresql-common is not installed (apt-get install postgresql-$PG_VERSION)"
	[[ -x /usr/lib/postgresql/$PG_VERSION/bin/postgres ]] || die "postgresql-$PG_VERSION is not installed"

	local state
	state=$(cluster_status)
	if [[ -z "$state" ]]; then
		say "creating cluster $PG_VERSION/$CLUSTER"
		pg_createcluster "$PG_VERSION" "$CLUSTER" >/dev/null
		state=$(cluster_status)
	fi
	if [[ "$state" != online* ]]; then
		# A stale pid file from a killed server would stop pg_ctlcluster.
		local pidfile="/var/lib/postgresql/$PG_VERSION/$CLUSTER/postmaster.pid"
		if [[ -f "$pidfile" ]] && ! kill -0 "$(head -1 "$pidfile")" 2>/dev/null; then rm -f "$pidfile"; fi
		# The socket directory lives on tmpfs on some machines and vanishes at reboot.
		install -d -o postgres -g postgres -m 2775 /var/run/postgresql
		pg_ctlcluster "$PG_VERSION" "$CLUSTER" start >/dev/null ||
			die "pg_ctlcluster failed; see /var/log/postgresql/postgresql-$PG_VERSION-$CLUSTER.log"
	fi

	local port waited=0
	port=$(cluster_port)
	until pg_isready -q -h /var/run/postgresql -p "$port"; do
		((waited++ < READY_TIMEOUT_S * 5)) || die "server not ready after ${READY_TIMEOUT_S}s"
		sleep 0.2
	done

	if [[ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" != 1 ]]; then
		psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
	fi
	if [[ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]]; then
		psql_admin -c "CREATE DATABASE $DATABASE OWNER $ROLE ENCODING 'UTF8' TEMPLATE template0"
	fi

	mkdir -p .bootstrap
	local url="postgres://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
	[[ "$(cat .bootstrap/postgres.url 2>/dev/null)" == "$url" ]] || echo "$url" >.bootstrap/postgres.url
}

case "${1:-}" in
start) start ;;
*) die "usage: $0 start" ;;
esac
