#!/usr/bin/env bash
# Plot what the series costs on the hot paths, from a benchmark's summary:
#   bench-plot.sh SUMMARY_TSV PNG [TITLE [SKIP]]
# SUMMARY_TSV is scripts/bench-summary.py's summary.tsv. One bar per case
# with a per-page time (gup_test get and put) or an IOPS figure (fio): the
# series' speed relative to the base (base time / series time, series IOPS
# / base IOPS), so that 1 is "no change" and below 1 is slower; the bar
# runs from 1 to the ratio, the dashed line marks 0.99. The whiskers
# span the spread: the slowest series boot against the fastest base boot,
# and the other way round. SKIP, an awk regular expression, leaves out the
# cases whose names match it. Exits 3 when no case has both kernels' figures.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/plot-lib.sh"

tsv=${1:?usage: bench-plot.sh SUMMARY_TSV PNG [TITLE [SKIP]]}
png=${2:?usage: bench-plot.sh SUMMARY_TSV PNG [TITLE [SKIP]]}
title=${3:-series speed relative to the base}
skip=${4:-}

data=$(mktemp)
trap 'rm -f "$data"' EXIT
# Columns: case metric base_median base_min base_max series_median series_min series_max ratio
awk -F'\t' -v skip="$skip" '
	NR == 1 || $6 == "" || $3 + 0 == 0 || $6 + 0 == 0 { next }
	skip != "" && $1 ~ skip { next }
	$2 ~ /_ns_per_page$/ {	# a time: less is faster
		name = $1 " " substr($2, 1, index($2, "_ns") - 1)
		printf "\"%s\" %.4f %.4f %.4f\n", name, $3 / $6, $4 / $8, $5 / $7
	}
	$2 == "iops" {
		printf "\"%s\" %.4f %.4f %.4f\n", $1, $6 / $3, $7 / $5, $8 / $4
	}' "$tsv" >"$data"
# Exit 3: nothing to plot (bench-results.sh then makes no plot).
[ -s "$data" ] || { log "no per-page time or IOPS with both kernels' figures in $tsv"; exit 3; }
# At least 0.9 to 1.05, so that small differences look small.
plot_bars "$data" "$png" "$title" "series / base (speed; 1 = no change)" \
	"[*<0.9:1.05<*]" 1 0.99
log "plotted $(wc -l <"$data") cases to $png"
