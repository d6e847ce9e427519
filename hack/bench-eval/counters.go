package main

import (
	"bufio"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"
)

// The raw data: for each service svcI two counters,
// http_requests_total{job="svcI",instance="bench",code="200"|"500"}, growing at a steady
// 1+I%10 requests per second of which errorRatio fail. Their value is a pure function of time
// (counted from a fixed epoch), so the backfilled history and the live exporter are one
// continuous series: the exporter carries on where the OpenMetrics file stops.
const errorRatio = 0.0005 // 0.05%: half of a 99.9% objective's budget, nothing fires

var epoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

func counter(svc int, failed bool, t time.Time) float64 {
	perSecond := float64(1 + svc%10)
	if failed {
		perSecond *= errorRatio
	} else {
		perSecond *= 1 - errorRatio
	}
	return perSecond * t.Sub(epoch).Seconds()
}

func writeSamples(w *bufio.Writer, n int, t time.Time, withTimestamp bool) {
	ts := ""
	if withTimestamp {
		ts = " " + strconv.FormatInt(t.Unix(), 10)
	}
	for i := range n {
		for _, failed := range []bool{false, true} {
			code := "200"
			if failed {
				code = "500"
			}
			fmt.Fprintf(w, "http_requests_total{job=\"svc%d\",instance=\"bench\",code=\"%s\"} %s%s\n",
				i, code, strconv.FormatFloat(counter(i, failed, t), 'f', 3, 64), ts)
		}
	}
}

// cmdOpenMetrics writes the counters from -start to -end every -step as OpenMetrics text for
// `promtool tsdb create-blocks-from openmetrics`.
func cmdOpenMetrics(args []string) error {
	fs := flag.NewFlagSet("openmetrics", flag.ExitOnError)
	n := fs.Int("n", 200, "number of services")
	start := fs.Int64("start", 0, "first sample, Unix seconds")
	end := fs.Int64("end", 0, "last sample, Unix seconds")
	step := fs.Duration("step", time.Minute, "scrape interval")
	_ = fs.Parse(args)
	if *start <= 0 || *end < *start || *step <= 0 {
		return fmt.Errorf("need 0 < -start <= -end and -step > 0")
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	fmt.Fprintln(w, "# TYPE http_requests counter")
	for t := time.Unix(*start, 0); !t.After(time.Unix(*end, 0)); t = t.Add(*step) {
		writeSamples(w, *n, t, true)
	}
	fmt.Fprintln(w, "# EOF")
	return w.Flush()
}

// cmdExporter serves the counters at their current value on /metrics.
func cmdExporter(args []string) error {
	fs := flag.NewFlagSet("exporter", flag.ExitOnError)
	n := fs.Int("n", 200, "number of services")
	listen := fs.String("listen", "127.0.0.1:19100", "listen address")
	_ = fs.Parse(args)
	http.HandleFunc("/metrics", func(rw http.ResponseWriter, _ *http.Request) {
		rw.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w := bufio.NewWriter(rw)
		fmt.Fprintln(w, "# TYPE http_requests_total counter")
		writeSamples(w, *n, time.Now(), false)
		_ = w.Flush()
	})
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 10 * time.Second}
	return srv.ListenAndServe()
}
