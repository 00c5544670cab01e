package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// runFill writes `total` distinct keys of `valSize` random bytes (random so
// that a compressing backend stores as many bytes as one that does not) with
// 8 clients on 4 connections: it builds the large database that the
// maintenance shapes run beside.
func runFill(ctx context.Context, eps []string, prefix string, total, valSize int) (report, error) {
	cs, err := newClients(eps, 4)
	if err != nil {
		return report{}, err
	}
	defer closeClients(cs)
	const clients = 8
	var next int64 = -1
	var firstErr atomic.Value
	var wg sync.WaitGroup
	lats := make([]latencies, clients)
	start := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			rnd := rand.New(rand.NewSource(int64(i) + 1))
			buf := make([]byte, valSize)
			for {
				seq := atomic.AddInt64(&next, 1)
				if seq >= int64(total) {
					return
				}
				rnd.Read(buf)
				t0 := time.Now()
				if _, err := cs[i%len(cs)].Put(ctx, fmt.Sprintf("%sfill/%08d", prefix, seq), string(buf)); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		}(i)
	}
	wg.Wait()
	return summarize(lats, firstErr, start, clients, len(cs)), nil
}

// runSteadyPuts is an open-loop writer: `rate` puts per second of `valSize`
// bytes over 10 connections, each put sent at its planned time whatever the
// server is doing, its latency counted from that planned time (a server that
// stalls for a second shows a second of latency on every put planned in it,
// not just on the few a closed loop would have in flight). It writes for
// `seconds`, or until SIGINT/SIGTERM when seconds <= 0, then waits for the
// puts in flight and reports.
func runSteadyPuts(ctx context.Context, eps []string, prefix string, rate int, seconds float64, valSize int) (report, error) {
	cs, err := newClients(eps, 10)
	if err != nil {
		return report{}, err
	}
	defer closeClients(cs)
	stop, cancel := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if seconds > 0 {
		var c2 context.CancelFunc
		stop, c2 = context.WithTimeout(stop, time.Duration(seconds*float64(time.Second)))
		defer c2()
	}
	val := strings.Repeat("s", valSize)
	interval := time.Second / time.Duration(rate)
	var mu sync.Mutex
	var all latencies
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	n := 0
	for ; ; n++ {
		planned := start.Add(time.Duration(n) * interval)
		if d := time.Until(planned); d > 0 {
			select {
			case <-stop.Done():
			case <-time.After(d):
			}
		}
		if stop.Err() != nil {
			break
		}
		wg.Add(1)
		go func(n int, planned time.Time) {
			defer wg.Done()
			if _, err := cs[n%len(cs)].Put(ctx, fmt.Sprintf("%ssteady/%05d", prefix, n%10000), val); err != nil {
				firstErr.CompareAndSwap(nil, err)
				return
			}
			d := time.Since(planned)
			mu.Lock()
			all = append(all, d)
			mu.Unlock()
		}(n, planned)
	}
	wg.Wait()
	rep := summarize([]latencies{all}, firstErr, start, rate, len(cs))
	rep.Writes = n
	return rep, nil
}

func summarize(lats []latencies, firstErr atomic.Value, start time.Time, clients, conns int) report {
	elapsed := time.Since(start).Seconds()
	var rep report
	if e := firstErr.Load(); e != nil {
		rep.Failures = append(rep.Failures, fmt.Sprintf("put failed: %v", e))
	}
	var all latencies
	for _, l := range lats {
		all = append(all, l...)
	}
	rep.Ops = len(all)
	rep.Seconds = elapsed
	rep.OpsPerSec = float64(rep.Ops) / elapsed
	rep.P50Ms, rep.P99Ms, rep.MaxMs = all.summary()
	rep.Clients = clients
	rep.Connections = conns
	return rep
}
