#!/usr/bin/env bash
# Plot what the series costs on the hot paths, from a benchmark's summary:
#   bench-plot.sh SUMMARY_TSV PNG [TITLE]
# SUMMARY_TSV is scripts/bench-summary.py's summary.tsv. One bar per case
# with a per-page time (gup_test get and put) or an IOPS figure (fio): the
# series' speed relative to the base (base time / series time, series IOPS
# / base IOPS), so that 1 is "no change" and below 1 is slower; the bar
# runs from 1 to the ratio, the dashed line marks 0.99. The whiskers
# span the spread: the slowest series boot against the fastest base boot,
# and the other way round.
source "$(dirname "$0")/lib.sh"

tsv=${1:?usage: bench-plot.sh SUMMARY_TSV PNG [TITLE]}
png=${2:?usage: bench-plot.sh SUMMARY_TSV PNG [TITLE]}
title=${3:-series speed relative to the base}
command -v gnuplot >/dev/null || die "gnuplot is not installed (scripts/install-deps.sh)"

data=$(mktemp)
trap 'rm -f "$data"' EXIT
# Columns: case metric base_median base_min base_max series_median series_min series_max ratio
awk -F'\t' '
	NR == 1 || $6 == "" || $3 + 0 == 0 || $6 + 0 == 0 { next }
	$2 ~ /_ns_per_page$/ {	# a time: less is faster
		name = $1 " " substr($2, 1, index($2, "_ns") - 1)
		printf "\"%s\" %.4f %.4f %.4f\n", name, $3 / $6, $4 / $8, $5 / $7
	}
	$2 == "iops" {
		printf "\"%s\" %.4f %.4f %.4f\n", $1, $6 / $3, $7 / $5, $8 / $4
	}' "$tsv" >"$data"
[ -s "$data" ] || die "no per-page time or IOPS with both kernels' figures in $tsv"
# A long title in lines of at most 100 characters (gnuplot's "\n").
title=$(printf '%s' "$title" | fold -s -w 100 | sed ':a;N;$!ba;s/\n/\\n/g')
rows=$(wc -l <"$data")

gnuplot <<-PLOT
	set terminal pngcairo size 1000,$((200 + 22 * rows)) font ",10" noenhanced
	set output "$png"
	set title "$title"
	set xlabel "series / base (speed; 1 = no change)"
	set yrange [-1:$rows]
	# At least 0.9 to 1.05, so that small differences look small.
	set xrange [*<0.9:1.05<*]
	set ytics nomirror
	set grid x
	set key off
	set style fill solid 0.5
	set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
	set arrow from 0.99, graph 0 to 0.99, graph 1 nohead dt 2 lc rgb "red"
	plot "$data" using 2:0:(1):2:(\$0 - 0.35):(\$0 + 0.35):yticlabels(1) with boxxyerrorbars lc rgb "steelblue", \
	     "$data" using 2:0:3:4 with xerrorbars pt 7 ps 0.4 lc rgb "black"
PLOT
log "plotted $rows cases to $png"
