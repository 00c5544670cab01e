package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/clientv3"
	"google.golang.org/grpc/metadata"
)

// watchLayout: `streams` gRPC Watch streams of `perStream` watchers each,
// spread over `conns` connections (one clientv3.Client each). clientv3 puts
// every watch of one context (by its metadata) on one stream, so each stream
// gets its own metadata.
type watchLayout struct {
	streams, perStream, conns int
}

// watcherState: what one watcher received. Written only by its goroutine.
type watcherState struct {
	seen    []bool
	count   int
	lastRev int64
	lat     latencies
	last    time.Time
	fail    string
}

type watchRun struct {
	clients  []*clientv3.Client
	chans    []clientv3.WatchChan
	states   []*watcherState
	sentAt   []int64 // unix ns a write was sent, by sequence number; atomic
	writes   int
	prefix   string
	wg       sync.WaitGroup
	received int64 // atomic: events received by all watchers
}

func startWatchers(ctx context.Context, eps []string, prefix string, l watchLayout, writes int) (*watchRun, error) {
	clients, err := newClients(eps, l.conns)
	if err != nil {
		return nil, err
	}
	run := &watchRun{clients: clients, sentAt: make([]int64, writes), writes: writes, prefix: prefix}
	for s := 0; s < l.streams; s++ {
		sctx := metadata.AppendToOutgoingContext(ctx, "cairn-gobench-stream", strconv.Itoa(s))
		c := clients[s%len(clients)]
		for w := 0; w < l.perStream; w++ {
			run.chans = append(run.chans, c.Watch(sctx, prefix, clientv3.WithPrefix(), clientv3.WithCreatedNotify()))
		}
	}
	// Every watcher confirmed before the first write.
	for i, ch := range run.chans {
		select {
		case resp, ok := <-ch:
			if !ok || !resp.Created {
				closeClients(clients)
				return nil, fmt.Errorf("watcher %d: no created response (%v)", i, resp.Err())
			}
		case <-ctx.Done():
			closeClients(clients)
			return nil, fmt.Errorf("creating watchers: %v", ctx.Err())
		}
	}
	for i := range run.chans {
		st := &watcherState{seen: make([]bool, writes), lat: make(latencies, 0, writes)}
		run.states = append(run.states, st)
		run.wg.Add(1)
		go run.consume(run.chans[i], st)
	}
	return run, nil
}

func (r *watchRun) consume(ch clientv3.WatchChan, st *watcherState) {
	defer r.wg.Done()
	for st.count < r.writes {
		resp, ok := <-ch
		if !ok {
			st.fail = fmt.Sprintf("channel closed after %d of %d events", st.count, r.writes)
			return
		}
		if err := resp.Err(); err != nil {
			st.fail = fmt.Sprintf("after %d events: %v", st.count, err)
			return
		}
		now := time.Now()
		for _, ev := range resp.Events {
			seq, err := strconv.Atoi(strings.TrimPrefix(string(ev.Kv.Key), r.prefix))
			if err != nil || seq < 0 || seq >= r.writes {
				st.fail = fmt.Sprintf("unexpected key %q", ev.Kv.Key)
				return
			}
			if st.seen[seq] {
				st.fail = fmt.Sprintf("write %d delivered twice", seq)
				return
			}
			if ev.Kv.ModRevision <= st.lastRev {
				st.fail = fmt.Sprintf("revision %d after %d: out of order", ev.Kv.ModRevision, st.lastRev)
				return
			}
			st.seen[seq] = true
			st.lastRev = ev.Kv.ModRevision
			st.count++
			st.lat = append(st.lat, now.Sub(time.Unix(0, atomic.LoadInt64(&r.sentAt[seq]))))
		}
		st.last = now
		atomic.AddInt64(&r.received, int64(len(resp.Events)))
	}
}

func (r *watchRun) put(ctx context.Context, c *clientv3.Client, seq int, val string) error {
	atomic.StoreInt64(&r.sentAt[seq], time.Now().UnixNano())
	_, err := c.Put(ctx, fmt.Sprintf("%s%06d", r.prefix, seq), val)
	return err
}

// finish waits for every watcher (or the context) and summarises.
func (r *watchRun) finish(ctx context.Context, start time.Time, writesDone time.Time) report {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	var rep report
	select {
	case <-done:
	case <-ctx.Done():
		rep.Failures = append(rep.Failures, fmt.Sprintf("timed out with %d of %d events delivered",
			atomic.LoadInt64(&r.received), int64(r.writes)*int64(len(r.states))))
		closeClients(r.clients)
		<-done
	}
	closeClients(r.clients)
	var all latencies
	last := start
	for i, st := range r.states {
		if st.fail != "" && len(rep.Failures) < 5 {
			rep.Failures = append(rep.Failures, fmt.Sprintf("watcher %d: %s", i, st.fail))
		}
		all = append(all, st.lat...)
		if st.last.After(last) {
			last = st.last
		}
	}
	rep.Ops = len(all)
	rep.Seconds = last.Sub(start).Seconds()
	if rep.Seconds > 0 {
		rep.OpsPerSec = float64(rep.Ops) / rep.Seconds
	}
	rep.P50Ms, rep.P99Ms, rep.MaxMs = all.summary()
	rep.Watchers = len(r.states)
	rep.Writes = r.writes
	if w := writesDone.Sub(start).Seconds(); w > 0 {
		rep.WritesPerSec = float64(r.writes) / w
	}
	return rep
}

// runWatchBurst: every watcher watches the prefix; one writer puts `writes`
// keys under it as fast as the server acknowledges them.
func runWatchBurst(ctx context.Context, eps []string, prefix string, l watchLayout, writes int) (report, error) {
	run, err := startWatchers(ctx, eps, prefix, l, writes)
	if err != nil {
		return report{}, err
	}
	val := strings.Repeat("v", 64)
	start := time.Now()
	for seq := 0; seq < writes; seq++ {
		if err := run.put(ctx, run.clients[0], seq, val); err != nil {
			closeClients(run.clients)
			return report{}, fmt.Errorf("put %d: %v", seq, err)
		}
	}
	rep := run.finish(ctx, start, time.Now())
	rep.Streams = l.streams
	rep.Connections = l.conns
	return rep, nil
}

// runWatchSteady: `putters` writers share a fixed total rate for `seconds`;
// each write goes out at its scheduled time (or at once if behind).
func runWatchSteady(ctx context.Context, eps []string, prefix string, l watchLayout, putters, rate int, seconds float64) (report, error) {
	writes := int(float64(rate) * seconds)
	run, err := startWatchers(ctx, eps, prefix, l, writes)
	if err != nil {
		return report{}, err
	}
	val := strings.Repeat("v", 64)
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	errs := make(chan error, putters)
	var pw sync.WaitGroup
	for p := 0; p < putters; p++ {
		pw.Add(1)
		go func(p int) {
			defer pw.Done()
			for seq := p; seq < writes; seq += putters {
				if d := time.Until(start.Add(time.Duration(seq) * interval)); d > 0 {
					time.Sleep(d)
				}
				if err := run.put(ctx, run.clients[p%len(run.clients)], seq, val); err != nil {
					errs <- fmt.Errorf("put %d: %v", seq, err)
					return
				}
			}
		}(p)
	}
	pw.Wait()
	writesDone := time.Now()
	select {
	case err := <-errs:
		closeClients(run.clients)
		return report{}, err
	default:
	}
	rep := run.finish(ctx, start, writesDone)
	rep.Streams = l.streams
	rep.Connections = l.conns
	return rep, nil
}
