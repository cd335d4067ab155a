#!/usr/bin/env bash
# Plot what writing back pinned page cache costs on the series, from a
# benchmark's summary:
#   bench-plot-writeback.sh SUMMARY_TSV PNG [TITLE]
# SUMMARY_TSV is scripts/bench-summary.py's summary.tsv with the writeback
# group's cases. One bar per measure and disk: the series' writeback
# throughput for data a device wrote into a pinned range, relative to the
# same data written by the CPU (unpinned time / pinned time), so that 1 is
# "as cheap as unpinned"; the dashed line marks issue 7's goal of 0.90.
# Measures: fsync_sys_ms (the fsync() calls' own system time),
# fsync_ms (their elapsed time: in a one-CPU icount guest that counts the
# work the fsync waits for in other threads too, such as dm-integrity's,
# which its system time leaves out; with more CPUs and wall-clock time it
# is latency, not cost) and faults_fsync_sys_ms (the fsync's system time
# plus the write faults through which the kernel tracks the CPU's
# changes; the device's writes need none). Disks: a
# memory-backed null_blk disk (pinned folios written in place), the same
# disk with stable_writes set and dm-integrity on it (pinned folios written
# from copies); and the first: only the file's first page changed and pinned, its other
# 64 MiB cached and clean (the fsync's cost should follow the pinned page,
# not the page cache). The whiskers span
# the spread: the slowest pinned boot against the fastest unpinned boot,
# and the other way round.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/plot-lib.sh"

tsv=${1:?usage: bench-plot-writeback.sh SUMMARY_TSV PNG [TITLE]}
png=${2:?usage: bench-plot-writeback.sh SUMMARY_TSV PNG [TITLE]}
title=${3:-pinned writeback relative to unpinned, series}

data=$(mktemp)
trap 'rm -f "$data"' EXIT
# Columns: case metric base_median base_min base_max series_median series_min series_max ratio
awk -F'\t' '
	NR == 1 || $1 !~ /^writeback-/ || $6 == "" { next }
	$2 == "fsync_sys_ms" || $2 == "fsync_ms" || $2 == "faults_fsync_sys_ms" {
		kind = $1; sub(/^writeback-/, "", kind)
		# The case: 64 MiB on a plain or a stable_writes disk or on
		# dm-integrity, or one page of it.
		variant = sub(/-stable$/, "", kind) ? "stable" : sub(/-integrity$/, "", kind) ? "integrity" : \
			sub(/-one$/, "", kind) ? "one" : "plain"
		med[kind, variant, $2] = $6; lo[kind, variant, $2] = $7; hi[kind, variant, $2] = $8
	}
	END {
		nmetrics = split("fsync_sys_ms fsync_ms faults_fsync_sys_ms", metrics, " ")
		nvariants = split("plain stable integrity one", variants, " ")
		for (m = 1; m <= nmetrics; m++)
			for (v = 1; v <= nvariants; v++) {
				metric = metrics[m]; variant = variants[v]
				if (med["pinned", variant, metric] == "" || med["unpinned", variant, metric] == "")
					continue
				name = (metric == "fsync_sys_ms" ? "fsync, system time" : \
					metric == "fsync_ms" ? "fsync, elapsed" : "faults + fsync, system time") \
					(variant == "plain" ? ", in place" : \
					 variant == "stable" ? ", stable_writes (copies)" : \
					 variant == "integrity" ? ", dm-integrity (copies)" : \
					 ", 1 page of 64 MiB cached")
				printf "\"%s\" %.4f %.4f %.4f\n", name,
					med["unpinned", variant, metric] / med["pinned", variant, metric],
					lo["unpinned", variant, metric] / hi["pinned", variant, metric],
					hi["unpinned", variant, metric] / lo["pinned", variant, metric]
			}
	}' "$tsv" >"$data"
# Exit 3: nothing to plot (bench-results.sh then makes no plot).
[ -s "$data" ] || { log "no pinned and unpinned writeback figures of the series in $tsv"; exit 3; }
plot_bars "$data" "$png" "$title" \
	"pinned / unpinned writeback throughput (1 = as cheap as unpinned)" \
	"[0:1.1<*]" 0 0.9 40
log "plotted $(wc -l <"$data") writeback ratios to $png"
