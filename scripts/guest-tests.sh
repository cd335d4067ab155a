#!/usr/bin/env bash
# Run the guest tests on one kernel and check its log, as TAP lines (lib/tap.sh):
#   guest-tests.sh base|series [TEST...]
# TESTS as guest/run-tests takes them; without any, those GUEST_TESTS names
# or the group GROUP names (make test GROUP=quick), else all. The kernel (debug
# config), its selftests and the guest programs must be built. Run on the
# base kernel, a scenario test of something the series adds shows the base's
# problem as a failure. The guest's files: $BUILD/runs/test-<tree> (its
# stderr in test-<tree>.log), and test-<tree>-bootN for the guests of tests
# with a "# boot:" line.
source "$(dirname "$0")/lib.sh"
source "$PROJECT/lib/tap.sh"

tree=${1:?usage: guest-tests.sh base|series [TEST...]}
shift
# shellcheck disable=SC2086 # GUEST_TESTS is a list of test names
[ $# -gt 0 ] || set -- ${GUEST_TESTS:-${GROUP:+group:$GROUP}}
mkdir -p "$BUILD/test" "$BUILD/runs"

# boot_args TEST: the kernel command line a scenario test asks for in a
# "# boot: ARGS" line (e.g. movablecore= for ZONE_MOVABLE); none for most.
boot_args() {
	[ -f "$PROJECT/guest/tests/$1" ] || return 0
	sed -n '1,/^[^#]/s/^# boot: *\(.*[^ ]\) *$/\1/p' "$PROJECT/guest/tests/$1" | head -n1
}

# run_boot RUN APPEND TEST...: one guest, booted with APPEND added to its
# command line, runs the TESTs; then its kernel log is checked.
run_boot() {
	local run=$1 append=$2 label=$tree guest_rc=0
	shift 2
	[ -z "$append" ] || label="$tree, $append"
	"$PROJECT/scripts/run-guest.sh" --run "$run" ${append:+--append "$append"} "$tree:debug" -- \
		env SELFTESTS_MM="$BUILD/$tree/selftests/mm" PROGS="$BUILD/$tree/progs" \
		TAP_NUMBER="$TAP_NUMBER" TAP_RECORD=/run/out/results \
		"$PROJECT/guest/run-tests" "$@" 2>"$run.log" || guest_rc=$?
	tap_absorb "$run/out/results"
	# Which machine the guest was: a CI log then tells TCG from KVM.
	sed -n 's/^run-guest.sh: accelerator: /# guest: /p' "$run.log"
	# The guest's own lines went to stdout as it ran; record them for a caller.
	[ -z "${TAP_RECORD:-}" ] || cat "$run/out/results" >>"$TAP_RECORD" 2>/dev/null || true

	[ -s "$run/out/results" ] ||
		tap_result fail "guest ($label): tests ran" "no results; see $run.log and $run/console.log"
	if "$PROJECT/scripts/check-guest-log.sh" "$run/console.log" 2>"$run.kernel-log.txt"; then
		tap_result pass "guest ($label): kernel log has no WARN/BUG/KASAN/lockdep report"
	else
		tap_result fail "guest ($label): kernel log has no WARN/BUG/KASAN/lockdep report" "$run/console.log"
		sed 's/^/#   /' "$run.kernel-log.txt"
	fi
	case $guest_rc in
	0 | 1 | 125) ;;
	*) tap_result fail "guest ($label): finished" "run-guest.sh exit $guest_rc; see $run.log" ;;
	esac
}

# Tests that ask for a command line of their own get a guest of their own,
# one per command line; the others share one.
mapfile -t selected < <("$PROJECT/guest/run-tests" --list "$@" | sed '/^$/d')
plain=()
declare -A by_boot=()
for t in "${selected[@]}"; do
	args=$(boot_args "$t")
	if [ -z "$args" ]; then
		plain+=("$t")
	else
		by_boot[$args]+="$t "
	fi
done
# No test at all (a name that matches none): let run-tests say so.
[ ${#selected[@]} -gt 0 ] || plain=("$@")
run=$BUILD/runs/test-$tree
[ ${#plain[@]} -eq 0 ] || run_boot "$run" "" "${plain[@]}"
n=1
while IFS= read -r args; do
	[ -n "$args" ] || continue
	# shellcheck disable=SC2086 # a list of test names
	run_boot "$run-boot$n" "$args" ${by_boot[$args]}
	n=$((n + 1))
done < <(printf '%s\n' "${!by_boot[@]}" | sort)
# Standalone, close with the summary; under test.sh, that prints it.
if [ -z "${TAP_RECORD:-}" ]; then
	tap_summary
else
	[ "$tap_failed" -eq 0 ]
fi
