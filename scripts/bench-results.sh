#!/usr/bin/env bash
# The tables and plots of one benchmark run, made again from its raw data:
#   bench-results.sh DIR
# DIR is a run of bench-reclaim.sh (build/BASE/bench/reclaim/<stamp>/),
# which calls this at its end: the per-boot <tree>-<i>.tsv and
# <tree>-<i>.not-measured.txt are the raw data, and run.env holds the
# run's title and whether its guests ran under --icount. Writes
# summary.tsv and summary.md (scripts/bench-summary.py), ratios.png
# (scripts/bench-plot.sh) when the run measured the hot paths (gup or fio
# groups), and writeback.png (scripts/bench-plot-writeback.sh) when it
# measured writeback. Run it again after changing one of those scripts;
# results/README.md says which run each current table comes from.
source "$(dirname "$0")/lib.sh"

dir=${1:?usage: bench-results.sh DIR}
[ -d "$dir" ] || die "no run directory $dir"
title="benchmark run $(basename "$dir")"
icount=0
# shellcheck source=/dev/null
[ ! -f "$dir/run.env" ] || source "$dir/run.env"

"$PROJECT/scripts/bench-summary.py" "$dir" "$title"
plots=()
if awk -F'\t' 'NR > 1 && $6 != "" && ($2 ~ /_ns_per_page$/ || $2 == "iops") { found = 1 }
	END { exit !found }' "$dir/summary.tsv"; then
	# Under icount, the fio rows that wait for the virtio disk are still
	# timed by the host and swing by 10x between boots: they would set the
	# plot's scale and say nothing. The table keeps them.
	skip=
	[ "$icount" -eq 0 ] || skip='^fio-(psync|io_uring)-|^fio-fixedbufs-ext4-'
	"$PROJECT/scripts/bench-plot.sh" "$dir/summary.tsv" "$dir/ratios.png" \
		"$title${skip:+ (rows timed by the virtio disk left out)}" "$skip"
	plots+=(ratios.png)
fi
if grep -q '^writeback-' "$dir/summary.tsv"; then
	"$PROJECT/scripts/bench-plot-writeback.sh" "$dir/summary.tsv" "$dir/writeback.png" "$title"
	plots+=(writeback.png)
fi
log "results: $dir (summary.tsv, summary.md, ${plots[*]:+${plots[*]}, }one .tsv and .log per boot)"
