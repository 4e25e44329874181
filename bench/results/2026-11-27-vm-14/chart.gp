# Draws chart.png from chart.dat: gnuplot chart.gp (in this directory)
set terminal pngcairo size 1600,700 font ',11' noenhanced
set output 'chart.png'
set title 'Median wall time relative to vmmalloc-shm (lower is faster; log scale)'
set ylabel 'time / time of vmmalloc-shm'
set xrange [-0.6:13.6]
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 front
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 2
set yrange [0.125:*]
set ytics (0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64)
set grid ytics
set xtics rotate by -30 left
set key top left horizontal
set bmargin 6
plot 'chart.dat' using 2:xtic(1) title 'vmmalloc-shm', '' using 3 title 'baseline-shm', '' using 4 title 'vmmalloc-disk', '' using 5 title 'glibc', '' using 6 title 'jemalloc', '' using 7 title 'mimalloc', '' using 8 title 'tcmalloc'
