#!/usr/bin/env bash
# The test command (make test): everything a change to the series must pass.
#   0. the harness's kernel-free self-tests (tests/harness/*: TAP, the kernel
#      log check, guest/run-tests, the benchmark summary), in seconds
#   1. the series: applies to the base, Signed-off-by and checkpatch --strict on every patch;
#      where BASE's series has postings (patches/postings/), they cover it in order,
#      with get_maintainer.pl's recipients, and b4 and git am take them
#   2. the series kernel (debug config) and its selftests build
#   3. in a guest on that kernel: the mm selftests that guard what we touch
#      and the project's scenario tests (guest/run-tests); then the guest
#      kernel log must have no WARN/BUG/KASAN/lockdep report
#   4. the harness's own test: a WARN in the guest fails a run
# Prints one TAP line per test and "N passed, N failed, N skipped"; exits
# non-zero if anything failed. Logs: build/BASE/test/, build/BASE/runs/test-series/.
# GUEST_TESTS="mm:gup_test longterm-pin" limits step 3 to those tests;
# GROUP=quick to a group of them (guest/run-tests --list group:quick).
source "$(dirname "$0")/lib.sh"
source "$PROJECT/lib/tap.sh"

out=$BUILD/test
rm -rf "$out"
mkdir -p "$out"

# Runs a script that reports its own TAP lines, and counts them here.
# A script that stops with an error before it reports a failure fails here.
run_reporter() {
	local record=$out/record.$TAP_NUMBER rc=0
	TAP_NUMBER=$TAP_NUMBER TAP_RECORD=$record "$@" || rc=$?
	tap_absorb "$record"
	if [ $rc -ne 0 ] && ! grep -qs '^fail ' "$record"; then
		tap_result fail "$(basename "$1")${2:+ ${*:2}}" "exited $rc before it reported a failure"
	fi
}

echo "TAP version 13"
"$PROJECT/scripts/install-deps.sh"
for self_test in "$PROJECT"/tests/harness/*; do
	[ -f "$self_test" ] && [ -x "$self_test" ] || continue
	tap_run "harness: $(basename "$self_test")" "$out/harness-$(basename "$self_test").log" "$self_test"
done
"$PROJECT/scripts/get-base.sh"

run_reporter "$PROJECT/scripts/check-series.sh"
if [ -d "$PATCHES/postings" ]; then
	run_reporter "$PROJECT/scripts/series-post.sh" --check
fi

tap_run "build: series kernel (debug)" "$out/build-kernel.log" \
	"$PROJECT/scripts/build-kernel.sh" series debug
if [ "$tap_failed" -eq 0 ]; then
	tap_run "build: series mm selftests and guest programs" "$out/build-tests.log" \
		"$PROJECT/scripts/build-tests.sh" series
fi
if [ "$tap_failed" -ne 0 ]; then
	echo "# a step above failed (harness self-test, series, or build): no guest tests run"
	tap_summary
	exit 1
fi

run_reporter "$PROJECT/scripts/guest-tests.sh" series

tap_run "harness: a WARN in the guest fails the run" "$out/harness-warn.log" \
	"$PROJECT/tests/harness-warn-fails-run" series:debug

tap_summary
