package main

import (
	"sort"
	"time"
)

// latencies collects durations; summary() sorts them.
type latencies []time.Duration

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (l latencies) summary() (p50, p99, max float64) {
	if len(l) == 0 {
		return 0, 0, 0
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	at := func(q float64) time.Duration {
		i := int(q * float64(len(l)-1))
		return l[i]
	}
	return ms(at(0.50)), ms(at(0.99)), ms(l[len(l)-1])
}
