#!/usr/bin/env bash
# The stress run of guest/tests/pin-stress, longer than make test's:
#   stress.sh [--seconds N] [--seed S] [--tree series|base]
# Builds the tree's debug kernel (KASAN, lockdep, DEBUG_VM, DEBUG_LIST),
# its selftests and the guest programs, boots it and runs pin_stress for N
# seconds (default 600) with seed S (default: the clock). The guest's
# output streams here; the run fails on a failed check or on any report in
# the kernel log. Its files: $BUILD/runs/stress-<tree>.
source "$(dirname "$0")/lib.sh"

seconds=600
seed=$(date +%s)
tree=series
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) seconds=$2; shift 2 ;;
	--seed) seed=$2; shift 2 ;;
	--tree) tree=$2; shift 2 ;;
	*) die "usage: stress.sh [--seconds N] [--seed S] [--tree series|base]" ;;
	esac
done

"$PROJECT/scripts/build-kernel.sh" "$tree" debug >/dev/null
"$PROJECT/scripts/build-tests.sh" "$tree"
log "pin_stress on $tree for $seconds s, seed $seed"
"$PROJECT/scripts/run-guest.sh" --run "$BUILD/runs/stress-$tree" "$tree:debug" -- \
	env PROGS="$BUILD/$tree/progs" STRESS_SECONDS="$seconds" STRESS_SEED="$seed" \
	"$PROJECT/guest/tests/pin-stress"
