// cairn-gobench drives an etcd v3 server (etcd 3.4 or Cairn) with etcd's own
// Go client (clientv3 from Debian's golang-etcd-server-dev), so that a
// comparison sees what grpc-go clients pay: HTTP/2 flow control, one message
// per watch response, grpc-go's frame sizes.
//
// One shape per run; the result is one JSON line on stdout. Watch shapes
// verify that every watcher received every event exactly once and in order
// ("result": "PASS"); anything else is "FAIL" with the reasons, and the exit
// status is 1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.etcd.io/etcd/clientv3"
)

type report struct {
	Shape        string   `json:"shape"`
	Result       string   `json:"result"`
	Failures     []string `json:"failures,omitempty"`
	Ops          int      `json:"ops"`
	Seconds      float64  `json:"seconds"`
	OpsPerSec    float64  `json:"ops_per_sec"`
	P50Ms        float64  `json:"p50_ms"`
	P99Ms        float64  `json:"p99_ms"`
	MaxMs        float64  `json:"max_ms"`
	Watchers     int      `json:"watchers,omitempty"`
	Streams      int      `json:"streams,omitempty"`
	Writes       int      `json:"writes,omitempty"`
	WritesPerSec float64  `json:"writes_per_sec,omitempty"`
	Clients      int      `json:"clients,omitempty"`
	Connections  int      `json:"connections,omitempty"`
	// Operations made before the clock started (not in ops or the
	// latencies); the server's CPU over the run includes them.
	WarmUpOps int `json:"warm_up_ops,omitempty"`
}

func newClients(endpoints []string, n int) ([]*clientv3.Client, error) {
	out := make([]*clientv3.Client, 0, n)
	for i := 0; i < n; i++ {
		c, err := clientv3.New(clientv3.Config{
			Endpoints:   endpoints,
			DialTimeout: 5 * time.Second,
			// Large enough for the biggest response a shape can get.
			MaxCallRecvMsgSize: 64 << 20,
		})
		if err != nil {
			closeClients(out)
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func closeClients(cs []*clientv3.Client) {
	for _, c := range cs {
		c.Close()
	}
}

func fail(shape string, err error) {
	enc, _ := json.Marshal(report{Shape: shape, Result: "FAIL", Failures: []string{err.Error()}})
	fmt.Println(string(enc))
	os.Exit(1)
}

func main() {
	endpoints := flag.String("endpoints", "127.0.0.1:2379", "comma-separated client URLs or host:port")
	shape := flag.String("shape", "watch-1x10k",
		"watch-1x10k | watch-1000x10 | watch-latency | put-100 | put-1000 | fill | put-steady")
	puts := flag.Int("puts", 0, "writes (watch shapes) or puts (put shapes); 0: the shape's default")
	rate := flag.Int("rate", 1000, "watch-latency, put-steady: puts per second over all putters")
	seconds := flag.Float64("seconds", 5,
		"watch-latency, put-steady: how long to write (put-steady: <= 0 writes until SIGINT/SIGTERM)")
	valSize := flag.Int("val-size", 256, "value size of put shapes")
	timeout := flag.Duration("timeout", 120*time.Second, "give up after")
	flag.Parse()

	eps := strings.Split(*endpoints, ",")
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	prefix := fmt.Sprintf("gobench/%s/%d/", *shape, time.Now().UnixNano())

	var r report
	var err error
	switch *shape {
	case "watch-1x10k":
		r, err = runWatchBurst(ctx, eps, prefix, watchLayout{streams: 1, perStream: 10000, conns: 1}, orDefault(*puts, 100))
	case "watch-1000x10":
		r, err = runWatchBurst(ctx, eps, prefix, watchLayout{streams: 1000, perStream: 10, conns: 10}, orDefault(*puts, 100))
	case "watch-latency":
		r, err = runWatchSteady(ctx, eps, prefix, watchLayout{streams: 100, perStream: 1, conns: 1}, 10, *rate, *seconds)
	case "put-100":
		r, err = runPuts(ctx, eps, prefix, 100, 10, orDefault(*puts, 20000), *valSize)
	case "put-1000":
		r, err = runPuts(ctx, eps, prefix, 1000, 100, orDefault(*puts, 30000), *valSize)
	case "fill":
		r, err = runFill(ctx, eps, prefix, orDefault(*puts, 2048), *valSize)
	case "put-steady":
		r, err = runSteadyPuts(ctx, eps, prefix, *rate, *seconds, *valSize)
	default:
		err = fmt.Errorf("unknown shape %q", *shape)
	}
	if err != nil {
		fail(*shape, err)
	}
	r.Shape = *shape
	if len(r.Failures) == 0 {
		r.Result = "PASS"
	} else {
		r.Result = "FAIL"
	}
	enc, _ := json.Marshal(r)
	fmt.Println(string(enc))
	if r.Result != "PASS" {
		os.Exit(1)
	}
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}
