#!/usr/bin/env bash
# The main scenario (make run): the headline on the base and the series
# kernels, side by side. Builds both debug kernels and what runs in their
# guests, boots each, takes long-term pins of an ext4 MAP_SHARED mapping
# (and of memfd and anonymous memory for comparison) through gup_test
# (guest/tests/longterm-pin), runs the real clients that take such pins
# (fio and liburing with io_uring fixed buffers, ib_write_bw over rxe; see
# guest/scenario), and prints one table. Each kernel's log must
# stay free of WARN/BUG/KASAN/lockdep reports; the table says if it did not.
# Exits non-zero if the series does not give a row what the guest expected
# of it, or its kernel log has a report.
source "$(dirname "$0")/lib.sh"

"$PROJECT/scripts/install-deps.sh"
"$PROJECT/scripts/get-base.sh"
"$PROJECT/scripts/series-apply.sh"
require_repo

for tree in base series; do
	"$PROJECT/scripts/build-kernel.sh" "$tree" debug >/dev/null
	"$PROJECT/scripts/build-tests.sh" "$tree"
done

declare -A log_state guest_rc
mkdir -p "$BUILD/runs"
for tree in base series; do
	run=$BUILD/runs/scenario-$tree
	log "booting the $tree kernel"
	rc=0
	"$PROJECT/scripts/run-guest.sh" --run "$run" "$tree:debug" -- \
		env PROGS="$BUILD/$tree/progs" "$PROJECT/guest/scenario" >"$BUILD/runs/scenario-$tree.out" 2>&1 || rc=$?
	guest_rc[$tree]=$rc
	[ -s "$run/out/longterm-pin.tsv" ] || { cat "$BUILD/runs/scenario-$tree.out" >&2; die "the $tree guest produced no results"; }
	if "$PROJECT/scripts/check-guest-log.sh" "$run/console.log" 2>/dev/null; then
		log_state[$tree]="clean"
	else
		log_state[$tree]="REPORTS in $run/console.log"
	fi
done

patch_count=$(git -C "$REPO" rev-list --count "$BASE_TAG..series")
echo
echo "Long-term pins of file-backed memory, Linux $(make -s --no-print-directory -C "$REPO" kernelversion): gup_test (1 MiB), then real clients"
echo "base: $BASE_TAG; series: $patch_count patches from ${PATCHES#"$PROJECT"/}/"
echo
printf '%-40s %-12s %s\n' "mapping, pin" base series
base_table=$BUILD/runs/scenario-base/out/longterm-pin.tsv
series_table=$BUILD/runs/scenario-series/out/longterm-pin.tsv
# Fields are tab-separated and may be empty: awk, not read (which would
# merge empty fields into their neighbours).
awk -F'\t' 'NR == FNR { base[FNR] = $3; next } { printf "%-40s %-12s %s\n", $1, base[FNR], $3 }' \
	"$base_table" "$series_table"
printf '%-40s %-12s %s\n' "guest kernel log" "${log_state[base]%% *}" "${log_state[series]%% *}"

# The series must give every row what the guest expected of it (the
# middle column of its table), run to the end and keep its kernel log
# clean: otherwise the command fails, after the table, saying why. A base
# without a series yet (mainline before the port) only shows the table.
mapfile -t series_misses < <(awk -F'\t' '$3 != $2 { printf "%s: %s, expected %s\n", $1, $3, $2 }' "$series_table")
[ "$(wc -l <"$series_table")" = "$(wc -l <"$base_table")" ] ||
	series_misses+=("the series table has $(wc -l <"$series_table") rows, the base's $(wc -l <"$base_table")")
[ "${guest_rc[series]}" = 0 ] ||
	series_misses+=("the series guest exited ${guest_rc[series]} (see $BUILD/runs/scenario-series.out)")
[ "${log_state[series]}" = clean ] || series_misses+=("series kernel log: ${log_state[series]}")
echo
echo "pinned: the pin was taken, the pinned pages held the mapping's data, and it was released."
echo "EFAULT: refused by the kernel (mm/gup.c, writable_file_mapping_allowed())."
echo "works: the client ran with its buffer in the ext4 file, under writeback, syncs, cache drops"
echo "and reclaim, and the file held on disk what the device wrote (guest/tests/; logs in"
echo "$BUILD/runs/scenario-{base,series}/out/logs)."
if [ "$patch_count" -eq 0 ]; then
	echo
	echo "The $BASE series has no patches yet: its column is the base's kernel."
elif [ ${#series_misses[@]} -gt 0 ]; then
	echo
	printf 'NOT AS EXPECTED on the series: %s\n' "${series_misses[@]}"
	exit 1
fi
