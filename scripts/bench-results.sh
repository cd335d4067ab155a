#!/usr/bin/env bash
# The tables and plots of one benchmark run, made again from its raw data:
#   bench-results.sh DIR
# DIR is a run of bench-reclaim.sh (build/BASE/bench/reclaim/<stamp>/),
# which calls this at its end: the per-boot <tree>-<i>.tsv and
# <tree>-<i>.not-measured.txt are the raw data, and run.env holds the
# run's title and whether its guests ran under --icount. Runs made before
# run.env existed take them from TITLE and ICOUNT=1 in the environment
# (every run in results/ used ICOUNT=1). Writes summary.tsv and summary.md
# (scripts/bench-summary.py), ratios.png (scripts/bench-plot.sh) when the
# run has a per-page time or IOPS of both kernels, and writeback.png
# (scripts/bench-plot-writeback.sh) when it has the series' writeback of
# pinned and unpinned data (each plot script says whether it has). Run it again after changing one of those
# scripts; results/README.md says which run each current table comes from.
source "$(dirname "$0")/lib.sh"

dir=${1:?usage: bench-results.sh DIR}
[ -d "$dir" ] || die "no run directory $dir"
# run.env's two keys ("key=value" lines), read rather than sourced.
run_env() { sed -n "s/^$1=//p" "$dir/run.env" | tail -1; }
if [ -f "$dir/run.env" ]; then
	title=$(run_env title)
	icount=$(run_env icount)
else
	log "no $dir/run.env: title and mode from TITLE and ICOUNT (default 0)"
	title=${TITLE:-benchmark run $(basename "$dir")}
	icount=${ICOUNT:-0}
fi
[[ $icount =~ ^[01]$ ]] || die "icount must be 0 or 1, not '$icount'"

"$PROJECT/scripts/bench-summary.py" "$dir" "$title"
plots=()
# plot PNG SCRIPT ARGS...: a plot, if the run has figures for it (the plot
# scripts exit 3 when it has none).
plot() {
	local png=$1 rc=0
	shift
	"$@" || rc=$?
	case $rc in
	0) plots+=("$png") ;;
	3) ;;
	*) die "$(basename "$1") failed ($rc)" ;;
	esac
}
# Under icount, the fio rows that wait for the virtio disk are still timed
# by the host and swing by 10x between boots: they would set the plot's
# scale and say nothing. The table keeps them.
skip=
[ "$icount" -eq 0 ] || skip='^fio-(psync|io_uring)-|^fio-fixedbufs-ext4-'
plot ratios.png "$PROJECT/scripts/bench-plot.sh" "$dir/summary.tsv" "$dir/ratios.png" \
	"$title${skip:+ (rows timed by the virtio disk left out)}" "$skip"
plot writeback.png "$PROJECT/scripts/bench-plot-writeback.sh" "$dir/summary.tsv" \
	"$dir/writeback.png" "$title"
log "results: $dir (summary.tsv, summary.md, ${plots[*]:+${plots[*]}, }one .tsv and .log per boot)"
