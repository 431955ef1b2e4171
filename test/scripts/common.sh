# common.sh: shell functions shared by demo.sh and test.sh (source it, do
# not run it).
#
#   automl_install_deps    installs PostgreSQL 15, its server headers,
#                          OpenBLAS, make and gcc with apt-get, unless they
#                          are installed already
#   automl_install_browser installs Debian's chromium for the browser test
#                          (tests only: automl and its demo never need it)
#   automl_build           builds (warnings are errors) and installs automl
#   automl_cluster_start   starts a throwaway PostgreSQL 15 cluster in a
#                          temporary directory, reachable only through a
#                          Unix socket there, and exports PGHOST, PGPORT,
#                          PGUSER and PGDATABASE for clients
#   automl_cluster_stop    stops that cluster and removes its directory
#   automl_tmpdir          creates a scratch directory, $AUTOML_TMP
#
# An EXIT trap (automl_cleanup) stops the cluster and removes the
# directories however the script ends, so an aborted run leaves nothing
# behind; Ctrl-C and SIGTERM end the script through that trap too.
#
# The scripts run as root on Debian 12.  The server runs as the postgres
# operating-system user (PostgreSQL refuses to run as root); psql,
# pg_regress and make run as root, as clients.
#
# Every function returns nonzero on failure instead of exiting, so callers
# running under "set -e" can catch the failure and carry on.

# The PostgreSQL installation everything uses; override with PG_BINDIR.
AUTOML_PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
AUTOML_PG_CONFIG=${AUTOML_PG_BINDIR}/pg_config

# The repository root (this file lives in test/scripts).
AUTOML_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian packages needed to build, install and test automl.
AUTOML_DEPS=(postgresql-15 postgresql-server-dev-15 libopenblas-dev make gcc)

# The running throwaway cluster and the scratch directory, if any.
AUTOML_PGDIR=""
AUTOML_TMP=""

# automl_log prints a progress heading.
automl_log() {
	echo "==> $*"
}

# automl_install_deps installs the missing packages of AUTOML_DEPS; when
# every one is installed already it touches nothing (no apt-get update).
automl_install_deps() {
	local pkg
	local missing=()

	for pkg in "${AUTOML_DEPS[@]}"; do
		if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
			missing+=("$pkg")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		automl_log "dependencies already installed"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "error: packages missing (${missing[*]}); run as root to install them" >&2
		return 1
	fi
	automl_log "installing ${missing[*]}"
	# update the package lists once, then install without any prompt
	DEBIAN_FRONTEND=noninteractive apt-get update || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${AUTOML_DEPS[@]}" || return 1
}

# automl_install_browser installs chromium (headless rendering of the
# model report in test/scripts/browser_test.sh) unless it is there.
automl_install_browser() {
	command -v chromium >/dev/null 2>&1 && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "error: chromium is missing; run as root to install it" >&2
		return 1
	fi
	automl_log "installing chromium (for the browser test)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } || return 1
}

# automl_build runs make clean, make with warnings as errors, and make
# install.  Extra arguments are passed to every make (e.g. BLAS=none).
automl_build() {
	local jobs

	jobs=$(nproc 2>/dev/null || echo 2)
	automl_log "building automl"
	(
		cd "$AUTOML_ROOT" &&
		make clean PG_CONFIG="$AUTOML_PG_CONFIG" "$@" >/dev/null &&
		make -j"$jobs" WERROR=-Werror PG_CONFIG="$AUTOML_PG_CONFIG" "$@" &&
		make install PG_CONFIG="$AUTOML_PG_CONFIG" "$@"
	)
}

# automl_port_in_use says whether something already listens on a port:
# a TCP listener, or a PostgreSQL Unix socket for that port anywhere.
automl_port_in_use() {
	local port=$1
	local sock

	if command -v ss >/dev/null 2>&1; then
		ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && return 0
		ss -Hlx 2>/dev/null | grep -q "\.s\.PGSQL\.$port\b" && return 0
	fi
	# without ss (or in addition): the usual socket directories and ours
	for sock in /tmp/.s.PGSQL."$port" /var/run/postgresql/.s.PGSQL."$port" \
		/tmp/automl-pg.*/.s.PGSQL."$port"; do
		[ -e "$sock" ] && return 0
	done
	return 1
}

# automl_free_port prints the first port from 54320 on that is not in use.
automl_free_port() {
	local port

	for port in $(seq 54320 54419); do
		if ! automl_port_in_use "$port"; then
			echo "$port"
			return 0
		fi
	done
	echo "error: no free port between 54320 and 54419" >&2
	return 1
}

# automl_as_postgres runs a command as the postgres user from the cluster
# directory (postgres may not be allowed into the caller's directory).
automl_as_postgres() {
	(cd "$AUTOML_PGDIR" && runuser -u postgres -- "$@")
}

# automl_cluster_start creates, configures and starts the throwaway cluster
# and exports the libpq variables that point clients at it.
automl_cluster_start() {
	local port

	if [ -n "$AUTOML_PGDIR" ]; then
		echo "error: a cluster is already running in $AUTOML_PGDIR" >&2
		return 1
	fi
	if ! id postgres >/dev/null 2>&1; then
		echo "error: no postgres user (is postgresql-15 installed?)" >&2
		return 1
	fi
	AUTOML_PGDIR=$(mktemp -d /tmp/automl-pg.XXXXXX) || return 1
	automl_trap_cleanup
	# owned by postgres and private (mode 700): with trust authentication
	# only root and postgres may reach the socket inside
	chown postgres:postgres "$AUTOML_PGDIR" || return 1

	automl_log "creating a PostgreSQL 15 cluster in $AUTOML_PGDIR"
	if ! automl_as_postgres "$AUTOML_PG_BINDIR/initdb" -D "$AUTOML_PGDIR/data" \
		--auth=trust -U postgres -E UTF8 --locale=C --no-sync \
		>"$AUTOML_PGDIR/initdb.log" 2>&1; then
		echo "error: initdb failed:" >&2
		cat "$AUTOML_PGDIR/initdb.log" >&2
		return 1
	fi

	port=$(automl_free_port) || return 1
	# only a Unix socket in our own directory: nothing else can connect
	cat >>"$AUTOML_PGDIR/data/postgresql.conf" <<-EOF

		# automl test cluster
		port = $port
		listen_addresses = ''
		unix_socket_directories = '$AUTOML_PGDIR'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF

	if ! automl_as_postgres "$AUTOML_PG_BINDIR/pg_ctl" -D "$AUTOML_PGDIR/data" \
		-l "$AUTOML_PGDIR/server.log" -w -t 60 start >/dev/null 2>&1; then
		echo "error: the PostgreSQL server did not start; its log:" >&2
		cat "$AUTOML_PGDIR/server.log" >&2 || true
		return 1
	fi

	export PGHOST=$AUTOML_PGDIR PGPORT=$port PGUSER=postgres PGDATABASE=postgres
	automl_log "PostgreSQL is running on port $port (socket in $AUTOML_PGDIR)"
}

# automl_cluster_stop stops the throwaway cluster (fast shutdown, then
# immediate, then SIGKILL to the postmaster we started) and removes its
# directory; quiet, and harmless to call twice.
automl_cluster_stop() {
	local dir=$AUTOML_PGDIR
	local pid

	[ -n "$dir" ] || return 0
	if [ -f "$dir/data/postmaster.pid" ]; then
		pid=$(head -1 "$dir/data/postmaster.pid" 2>/dev/null || true)
		automl_as_postgres "$AUTOML_PG_BINDIR/pg_ctl" -D "$dir/data" \
			-m fast -w -t 60 stop >/dev/null 2>&1 ||
			automl_as_postgres "$AUTOML_PG_BINDIR/pg_ctl" -D "$dir/data" \
				-m immediate -w -t 30 stop >/dev/null 2>&1 ||
			{ [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; } || true
	fi
	rm -rf "$dir"
	AUTOML_PGDIR=""
	unset PGHOST PGPORT PGUSER PGDATABASE
}

# automl_tmpdir creates the scratch directory $AUTOML_TMP (once).
automl_tmpdir() {
	if [ -z "$AUTOML_TMP" ]; then
		AUTOML_TMP=$(mktemp -d /tmp/automl-tmp.XXXXXX) || return 1
		automl_trap_cleanup
	fi
}

# automl_cleanup stops the cluster and removes the scratch directory.
automl_cleanup() {
	automl_cluster_stop
	if [ -n "$AUTOML_TMP" ]; then
		rm -rf "$AUTOML_TMP"
		AUTOML_TMP=""
	fi
}

# automl_trap_cleanup makes automl_cleanup run however the script exits.
automl_trap_cleanup() {
	trap automl_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}
