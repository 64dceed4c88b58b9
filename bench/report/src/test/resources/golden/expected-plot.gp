set terminal pngcairo size 900,650 font ",11"
set output "/r/out-diff.png"
set title "A child layer that changes 10 files, against the size of its base (2 cores, 2026-11-23T04:33Z)"
set xlabel "files in the base"
set ylabel "seconds (median, bars: min-max)"
set logscale xy
set format x "%.0s%c"
set grid
set key below
set datafile missing "?"
set xrange [250:10000]
plot "/r/plot.dat" using 1:2:3:4 with yerrorlines lw 2 title "umoci repack (whole command)",      "/r/plot.dat" using 1:5:6:7 with yerrorlines lw 2 title "stacker child build (whole command)",      "/r/plot.dat" using 1:8:9:10 with yerrorlines lw 2 title "stacker diff walk (in JVM)",      "/r/plot.dat" using 1:11:12:13 with yerrorlines lw 2 title "stacker snapshot (in JVM)",      "/r/plot.dat" using 1:14:15:16 with yerrorbars lw 2 pt 7 lc rgb "black" title "buildah-overlay bud (whole command)"
