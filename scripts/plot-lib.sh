# Sourced by the bench-plot scripts: one horizontal bar per row of a data
# file, with whiskers for the spread.
#   plot_bars DATA PNG TITLE XLABEL XRANGE BAR_START GOAL [ROW_HEIGHT]
# DATA has lines '"label" value low high'. Each bar runs from BAR_START to
# the value; a solid line marks 1, a dashed red one GOAL. XRANGE is a
# gnuplot range ("[0:1.1<*]"). A long title is wrapped at 100 characters.
plot_bars() {
	local data=$1 png=$2 title=$3 xlabel=$4 xrange=$5 bar_start=$6 goal=$7 row_height=${8:-22}
	local rows
	command -v gnuplot >/dev/null || die "gnuplot is not installed (scripts/install-deps.sh)"
	title=$(printf '%s' "$title" | fold -s -w 100 | sed ':a;N;$!ba;s/\n/\\n/g')
	rows=$(wc -l <"$data")
	gnuplot <<-PLOT
		set terminal pngcairo size 1000,$((200 + row_height * rows)) font ",10" noenhanced
		set output "$png"
		set title "$title"
		set xlabel "$xlabel"
		set yrange [-1:$rows]
		set xrange $xrange
		set ytics nomirror
		set grid x
		set key off
		set style fill solid 0.5
		set arrow from 1, graph 0 to 1, graph 1 nohead lw 2 lc rgb "black"
		set arrow from $goal, graph 0 to $goal, graph 1 nohead dt 2 lc rgb "red"
		plot "$data" using 2:0:($bar_start):2:(\$0 - 0.35):(\$0 + 0.35):yticlabels(1) with boxxyerrorbars lc rgb "steelblue", \
		     "$data" using 2:0:3:4 with xerrorbars pt 7 ps 0.4 lc rgb "black"
	PLOT
}
