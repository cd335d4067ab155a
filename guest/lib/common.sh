# Helpers for the scenario tests in guest/tests (runs inside the guest only).
# Source it. Exit codes follow kselftest: 0 pass, 1 fail, 4 skip.
set -uo pipefail

fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "SKIP: $*"; exit 4; }

# need_prog NAME -> path of a project guest program built by build-tests.sh
need_prog() {
	[ -x "${PROGS:-}/$1" ] || fail "guest program $1 not built (PROGS=${PROGS:-unset})"
	echo "$PROGS/$1"
}

need_file() { [ -e "$1" ] || skip "$1 missing (kernel config?)"; }
