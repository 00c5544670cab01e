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
// connections; `total` puts of `valSize` bytes over a 10,000-key space.
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
	start := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := cs[i%len(cs)]
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
	wg.Wait()
	return summarize(lats, firstErr, start, clients, conns), nil
}
