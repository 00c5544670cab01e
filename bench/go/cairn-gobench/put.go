package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// runPuts: `clients` goroutines, each a closed loop of puts, sharing `conns`
// connections; `total` timed puts of `valSize` bytes over a 10,000-key space,
// after one untimed put per client.
func runPuts(ctx context.Context, eps []string, prefix string, clients, conns, total, valSize int) (report, error) {
	cs, err := newClients(eps, conns)
	if err != nil {
		return report{}, err
	}
	defer closeClients(cs)
	val := strings.Repeat("p", valSize)
	var next int64 = -1
	lats := make([]latencies, clients)
	var firstErr atomic.Value
	var wg sync.WaitGroup
	// Each client puts once before the clock starts, and the clock starts
	// when all have: a fresh Go client's first wave of streams (1,000
	// goroutines' first calls, its heap growing from nothing) took p50
	// 45-120 ms against a warmed server whose steady p50 was 28-35 ms, and
	// as 1,000 of 30,000 puts it was the p99 by itself.
	var ready sync.WaitGroup
	begin := make(chan struct{})
	var start time.Time // written before begin closes
	for i := 0; i < clients; i++ {
		ready.Add(1)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := cs[i%len(cs)]
			_, err := c.Put(ctx, fmt.Sprintf("%swarm-up/%05d", prefix, i), val)
			if err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
			ready.Done()
			<-begin
			if err != nil {
				return
			}
			for {
				seq := atomic.AddInt64(&next, 1)
				if seq >= int64(total) {
					return
				}
				t0 := time.Now()
				if _, err := c.Put(ctx, fmt.Sprintf("%s%05d", prefix, seq%10000), val); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		}(i)
	}
	ready.Wait()
	start = time.Now()
	close(begin)
	wg.Wait()
	rep := summarize(lats, firstErr, start, clients, conns)
	rep.WarmUpOps = clients
	return rep, nil
}
