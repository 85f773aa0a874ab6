# gnuplot -e 'healthy="…/timeseries.csv"; blackholed="…/timeseries.csv"; out="failover.png"; title="…"' failover.gp
# Per-run CSV columns: 1 t_s, 2 accepted, 3 fw-a, 4 fw-b, 5 delivered, 6 delivered_per_s, 7 router_cpu_pct, 8 router_rss_mb
set terminal pngcairo size 1100,1000 noenhanced
set output out
set datafile separator ","
set grid
set key left top
set xlabel "seconds since smtp-source started"
set multiplot layout 3,1 title title
set ylabel "delivered messages/s (0.5 s samples)"
plot healthy using 1:6 with lines lw 2 title "healthy: delivered/s", \
     blackholed using 1:6 with lines lw 2 title "fw-b blackholed: delivered/s"
set ylabel "messages (cumulative)"
plot blackholed using 1:2 with lines lw 2 title "blackholed run: accepted by router", \
     blackholed using 1:3 with lines lw 2 title "blackholed run: at fw-a", \
     blackholed using 1:4 with lines lw 2 title "blackholed run: at fw-b", \
     healthy using 1:5 with lines dt 2 lw 2 title "healthy run: delivered (both sinks)"
set ylabel "router CPU % (100 = one core)"
plot healthy using 1:7 with lines lw 2 title "healthy", \
     blackholed using 1:7 with lines lw 2 title "fw-b blackholed"
unset multiplot
