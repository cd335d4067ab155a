#!/usr/bin/env bash
# Run the guest tests on one kernel and check its log, as TAP lines (lib/tap.sh):
#   guest-tests.sh base|series [TEST...]
# TESTS as guest/run-tests takes them; without any, those GUEST_TESTS names
# or the group GROUP names (make test GROUP=quick), else all. The kernel (debug
# config), its selftests and the guest programs must be built. Run on the
# base kernel, a scenario test of something the series adds shows the base's
# problem as a failure. The guest's files: $BUILD/runs/test-<tree>.
source "$(dirname "$0")/lib.sh"
source "$PROJECT/lib/tap.sh"

tree=${1:?usage: guest-tests.sh base|series [TEST...]}
shift
# shellcheck disable=SC2086 # GUEST_TESTS is a list of test names
[ $# -gt 0 ] || set -- ${GUEST_TESTS:-${GROUP:+group:$GROUP}}
run=$BUILD/runs/test-$tree
mkdir -p "$BUILD/test"
guest_rc=0
"$PROJECT/scripts/run-guest.sh" --run "$run" "$tree:debug" -- \
	env SELFTESTS_MM="$BUILD/$tree/selftests/mm" PROGS="$BUILD/$tree/progs" \
	TAP_NUMBER="$TAP_NUMBER" TAP_RECORD=/run/out/results \
	"$PROJECT/guest/run-tests" "$@" 2>"$BUILD/test/run-guest-$tree.log" || guest_rc=$?
tap_absorb "$run/out/results"
# Which machine the guest was: a CI log then tells TCG from KVM.
sed -n 's/^run-guest.sh: accelerator: /# guest: /p' "$BUILD/test/run-guest-$tree.log"
# The guest's own lines went to stdout as it ran; record them for a caller.
[ -z "${TAP_RECORD:-}" ] || cat "$run/out/results" >>"$TAP_RECORD" 2>/dev/null || true

[ -s "$run/out/results" ] ||
	tap_result fail "guest ($tree): tests ran" "no results; see $BUILD/test/run-guest-$tree.log and $run/console.log"
if "$PROJECT/scripts/check-guest-log.sh" "$run/console.log" 2>"$BUILD/test/guest-log-$tree.txt"; then
	tap_result pass "guest ($tree): kernel log has no WARN/BUG/KASAN/lockdep report"
else
	tap_result fail "guest ($tree): kernel log has no WARN/BUG/KASAN/lockdep report" "$run/console.log"
	sed 's/^/#   /' "$BUILD/test/guest-log-$tree.txt"
fi
case $guest_rc in
0 | 1 | 125) ;;
*) tap_result fail "guest ($tree): finished" "run-guest.sh exit $guest_rc; see $BUILD/test/run-guest-$tree.log" ;;
esac
# Standalone, close with the summary; under test.sh, that prints it.
if [ -z "${TAP_RECORD:-}" ]; then
	tap_summary
else
	[ "$tap_failed" -eq 0 ]
fi
