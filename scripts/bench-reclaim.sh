#!/usr/bin/env bash
# Benchmark the series against the base: long-term pins under memcg reclaim
# (what the series is for), the short-pin and O_DIRECT paths whose unpin it
# makes longer (which should not move), and the cost of writing back pinned
# page cache. guest/bench/pin-reclaim says what is measured.
#
#   bench-reclaim.sh [--rounds N] [--config release|debug] [--icount] [--only GROUPS]
#     --rounds N   boots per kernel (default 3), base and series turn about,
#                  so that a slow spell of the host hits both alike
#     --config C   kernel config (default release; without --config, falls
#                  back to debug with a warning while the release kernels
#                  are not built)
#     --icount     one-CPU TCG guests whose clock counts instructions
#                  (run-guest.sh --icount): times that repeat, not real ones
#     --only G     only these groups of cases, space-separated, of: reclaim
#                  gup fio writeback release (default: all)
#
# Needs both kernels of that config built (make kernel TREE=... CONFIG=...)
# and the guest programs and selftests of both trees (scripts/build-tests.sh,
# which make bench-reclaim runs first).
# Results in build/BASE/bench/reclaim/<stamp>/: <tree>-<i>.tsv (one boot's
# numbers), <tree>-<i>.log (its guest output), <tree>-<i>.not-measured.txt
# (what that guest could not measure, and why), run.env (the run's title
# and mode), and what scripts/bench-results.sh makes of them: summary.tsv
# and summary.md (the table printed at the end), ratios.png (the hot-path
# figures as series/base speed) and writeback.png (pinned against unpinned
# writeback on the series). A guest that fails, or a kernel log with a
# WARN/BUG/KASAN/lockdep report, aborts the benchmark.
source "$(dirname "$0")/lib.sh"
require_repo

# A boot of the debug base kernel (KASAN, lockdep) took 9 minutes under TCG:
# its reclaim scans 14 million pages of pinned anonymous memory. Room to spare.
GUEST_TIMEOUT=3600

rounds=3
config=
icount=()
only=
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--config) config=$2; shift 2 ;;
	--icount) icount=(--icount); shift ;;
	--only) only=$2; shift 2 ;;
	*) die "usage: bench-reclaim.sh [--rounds N] [--config release|debug] [--icount] [--only GROUPS]" ;;
	esac
done
[[ $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive number, not '$rounds'"
for group in $only; do
	case $group in
	reclaim | gup | fio | writeback | release) ;;
	*) die "--only: unknown group '$group' (reclaim gup fio writeback release)" ;;
	esac
done

bzimage() { echo "$(obj_dir "$1" "$2")/arch/x86/boot/bzImage"; }
have_kernels() { [ -f "$(bzimage base "$1")" ] && [ -f "$(bzimage series "$1")" ]; }

if [ -z "$config" ]; then
	config=release
	if ! have_kernels release; then
		log "warning: release kernels not built ($(bzimage base release), $(bzimage series release)):"
		log "warning: benchmarking the debug kernels (KASAN, lockdep), whose times say little"
		config=debug
	fi
fi
case $config in
release | debug) ;;
*) die "unknown config '$config' (release or debug)" ;;
esac
have_kernels "$config" ||
	die "build both $config kernels first: make kernel TREE=base CONFIG=$config; make kernel TREE=series CONFIG=$config"

# What the guest runs must exist, and be no older than its source.
for tree in base series; do
	[ -x "$BUILD/$tree/selftests/mm/gup_test" ] ||
		die "the $tree selftests are missing: scripts/build-tests.sh $tree"
	for prog in reclaim_bench writeback_bench release_bench; do
		[ -x "$BUILD/$tree/progs/$prog" ] && [ "$BUILD/$tree/progs/$prog" -nt "$PROJECT/guest/progs/$prog.c" ] ||
			die "the $tree guest programs are missing or stale: scripts/build-tests.sh $tree"
	done
done

stamp=$(date +%Y%m%d-%H%M%S)
out=$BUILD/bench/reclaim/$stamp
mkdir -p "$out"

# The host's TSC rate in kHz, as its kernel logged it ("tsc: Refined TSC
# clocksource calibration" or "tsc: Detected"), or nothing.
host_tsc_khz() {
	dmesg 2>/dev/null | sed -n -e 's/.*tsc: Refined TSC clocksource calibration: \([0-9.]*\) MHz.*/\1/p' \
		-e 's/.*tsc: Detected \([0-9.]*\) MHz processor.*/\1/p' | tail -n 1 |
		awk '{ printf "%d", $1 * 1000 }'
}

# boot_and_bench TREE I: one boot of TREE's kernel; its numbers to $out/TREE-I.tsv
boot_and_bench() {
	local tree=$1 i=$2 run=$BUILD/runs/bench-reclaim-$stamp-$1-$2 output=$out/$1-$2.log rc
	local start=$SECONDS try
	log "boot $i of $rounds: $tree ($config${icount:+, icount})"
	# Under TCG without icount, the guest's TSC calibration against the
	# PIT fails now and then (more often on a busy host) and its clock
	# falls back to jiffies (the guest exits 3): boot again, up to 3 times,
	# and from the second time on tell the guest the TSC's rate. TCG's
	# TSC is then the host's, whose rate the host kernel logged (under
	# icount it is not, and icount boots do not fall back). A boot that
	# used it says so in its log, with the rate.
	local append=() khz
	for try in 1 2 3; do
		rc=0
		"$PROJECT/scripts/run-guest.sh" --run "$run" --timeout "$GUEST_TIMEOUT" "${icount[@]}" "${append[@]}" \
			"$(bzimage "$tree" "$config")" -- \
			env PROGS="$BUILD/$tree/progs" SELFTESTS_MM="$BUILD/$tree/selftests/mm" \
			${only:+BENCH_GROUPS="$only"} \
			"$PROJECT/guest/bench/pin-reclaim" >"$output" 2>&1 || rc=$?
		[ $rc -eq 3 ] || break
		log "boot $i of $rounds: $tree: the guest clock fell back to jiffies (try $try of 3)"
		khz=$(host_tsc_khz)
		if [ ${#icount[@]} -eq 0 ] && [ ${#append[@]} -eq 0 ] && [ -n "$khz" ]; then
			append=(--append "tsc_early_khz=$khz")
			log "boot $i of $rounds: $tree: booting again with tsc_early_khz=$khz (the host kernel's TSC rate)"
		fi
	done
	[ ${#append[@]} -eq 0 ] ||
		echo "bench-reclaim.sh: this boot was told the TSC rate: ${append[1]}" >>"$output"
	# run-guest.sh fails a run with a kernel report too; say which it was.
	if ! "$PROJECT/scripts/check-guest-log.sh" "$run/console.log"; then
		die "the $tree kernel logged a report (above) in boot $i: $run/console.log; benchmark aborted"
	fi
	if [ $rc -ne 0 ]; then
		tail -20 "$output" | sed 's/^/  /' >&2
		die "the $tree guest failed (exit $rc) in boot $i: $output; benchmark aborted"
	fi
	[ -s "$run/out/bench.tsv" ] || die "the $tree guest wrote no $run/out/bench.tsv (boot $i)"
	cp "$run/out/bench.tsv" "$out/$tree-$i.tsv"
	[ ! -s "$run/out/not-measured.txt" ] || cp "$run/out/not-measured.txt" "$out/$tree-$i.not-measured.txt"
	log "boot $i of $rounds: $tree done in $((SECONDS - start)) s"
}

for i in $(seq "$rounds"); do
	for tree in base series; do
		boot_and_bench "$tree" "$i"
	done
done

if [ ${#icount[@]} -gt 0 ]; then
	mode="TCG --icount (one CPU, guest time counts instructions)"
else
	mode="accel ${ACCEL:-$(cat "$BUILD/kvm-probe" 2>/dev/null || echo auto)}, $(nproc) CPUs"
fi
patches=$(git -C "$REPO" rev-list --count "$BASE_TAG..series" 2>/dev/null || echo "?")
title="pin-reclaim benchmark${only:+ ($only)}, $config kernels ($BASE_TAG; series: $patches patches), $rounds boot(s) of each, $mode"
# What bench-results.sh needs besides the per-boot files, to make the
# tables and plots again later.
printf 'title=%s\nicount=%d\n' "$title" "${#icount[@]}" >"$out/run.env"
echo
"$PROJECT/scripts/bench-results.sh" "$out"
