#!/usr/bin/env bash
# The main scenario (make run): the headline on the base and the series
# kernels, side by side. Builds both debug kernels and what runs in their
# guests, boots each, takes long-term pins of an ext4 MAP_SHARED mapping
# (and of memfd and anonymous memory for comparison) through gup_test
# (guest/tests/longterm-pin), runs the real clients that take such pins
# (fio and liburing with io_uring fixed buffers, ib_write_bw over rxe; see
# guest/scenario), and prints one table. Each kernel's log must
# stay free of WARN/BUG/KASAN/lockdep reports; the table says if it did not.
source "$(dirname "$0")/lib.sh"

"$PROJECT/scripts/install-deps.sh"
"$PROJECT/scripts/get-base.sh"
"$PROJECT/scripts/series-apply.sh"

for tree in base series; do
	"$PROJECT/scripts/build-kernel.sh" "$tree" debug >/dev/null
	"$PROJECT/scripts/build-tests.sh" "$tree"
done

declare -A log_state
mkdir -p "$BUILD/runs"
for tree in base series; do
	run=$BUILD/runs/scenario-$tree
	log "booting the $tree kernel"
	rc=0
	"$PROJECT/scripts/run-guest.sh" --run "$run" "$tree:debug" -- \
		env PROGS="$BUILD/$tree/progs" "$PROJECT/guest/scenario" >"$BUILD/runs/scenario-$tree.out" 2>&1 || rc=$?
	[ -s "$run/out/longterm-pin.tsv" ] || { cat "$BUILD/runs/scenario-$tree.out" >&2; die "the $tree guest produced no results"; }
	if "$PROJECT/scripts/check-guest-log.sh" "$run/console.log" 2>/dev/null; then
		log_state[$tree]="clean"
	else
		log_state[$tree]="REPORTS in $run/console.log"
	fi
done

echo
echo "Long-term pins of file-backed memory, Linux $(make -s -C "$REPO" kernelversion): gup_test (1 MiB), then real clients"
echo "base: $BASE_TAG; series: $(git -C "$REPO" rev-list --count "$BASE_TAG..series") patches from patches/"
echo
printf '%-40s %-12s %s\n' "mapping, pin" base series
paste "$BUILD/runs/scenario-base/out/longterm-pin.tsv" "$BUILD/runs/scenario-series/out/longterm-pin.tsv" |
	while IFS=$'\t' read -r label _ base_got _ _ series_got; do
		printf '%-40s %-12s %s\n' "$label" "$base_got" "$series_got"
	done
printf '%-40s %-12s %s\n' "guest kernel log" "${log_state[base]%% *}" "${log_state[series]%% *}"
echo
echo "pinned: the pin was taken, the pinned pages held the mapping's data, and it was released."
echo "EFAULT: refused by the kernel (mm/gup.c, writable_file_mapping_allowed())."
echo "works: the client ran with its buffer in the ext4 file, under writeback, syncs, cache drops"
echo "and reclaim, and the file held on disk what the device wrote (guest/tests/; logs in"
echo "$BUILD/runs/scenario-{base,series}/out/logs)."
