// The Go half of the timed benchmarks (java/paperbench/*.java is the other half), run with
// testing.B by docs/paper/bench/measure.sh. Each benchmark reports its time per unit of work as a
// custom metric (ns/roundtrip, ms, ns/request), the figure the table shows next to JMH's.
package main

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const (
	pingPongRoundTrips    = 20_000
	fanOutTasks           = 100_000
	eventLoopRequesters   = 1_000
	eventLoopRequestsEach = 100
	maxEventsPerTurn      = 2_000 // raftkv's EventLoop.MAX_CLIENT_EVENTS_PER_TURN
	eventQueueCapacity    = 10_000
)

// (a) Two goroutines hand one token back and forth through unbuffered channels. As in Java, both
// pass a pointer to the same token: no allocation per hand-off on either side. A send to a
// goroutine blocked in a receive puts that goroutine into the sender's runnext slot: it runs next on
// the same OS thread (docs/paper/bench/README.md).
type token struct{ value int }

func BenchmarkPingPong(b *testing.B) {
	for i := 0; i < b.N; i++ {
		pingPong(b)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*pingPongRoundTrips), "ns/roundtrip")
}

func pingPong(b *testing.B) {
	ping, pong := make(chan *token), make(chan *token)
	t := &token{}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // ponger
		defer wg.Done()
		for i := 0; i < pingPongRoundTrips; i++ {
			t := <-ping
			t.value++
			pong <- t
		}
	}()
	go func() { // pinger
		defer wg.Done()
		for i := 0; i < pingPongRoundTrips; i++ {
			ping <- t
			<-pong
		}
	}()
	wg.Wait()
	if t.value != pingPongRoundTrips {
		b.Fatalf("token %d after %d round trips", t.value, pingPongRoundTrips)
	}
}

// (b) 100,000 goroutines started at once; each blocks for 1 ms, adds its number to a shared counter
// and marks itself done; the caller waits for all. Java: virtual threads, AtomicLong, CountDownLatch.
func BenchmarkFanOut(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var sum atomic.Int64
		var done sync.WaitGroup
		done.Add(fanOutTasks)
		for task := 0; task < fanOutTasks; task++ {
			go func() {
				time.Sleep(time.Millisecond)
				sum.Add(int64(task))
				done.Done()
			}()
		}
		done.Wait()
		if want := int64(fanOutTasks) * (fanOutTasks - 1) / 2; sum.Load() != want {
			b.Fatalf("sum %d, want %d", sum.Load(), want)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms")
}

// (d) raftkv's event loop in Go's idiom: an owner goroutine receives one request, drains up to
// 1,999 more without blocking, applies them all, then answers each on its reply channel. Requesters
// offer without blocking (a full queue would be an error, as in raftkv) and wait for the reply.
type request struct {
	key   string
	reply chan int64
}

func BenchmarkEventLoop(b *testing.B) {
	for i := 0; i < b.N; i++ {
		eventLoop(b)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*eventLoopRequesters*eventLoopRequestsEach), "ns/request")
}

func eventLoop(b *testing.B) {
	events := make(chan request, eventQueueCapacity)
	applied := make(chan int)
	go func() { applied <- own(events) }()
	var wg sync.WaitGroup
	wg.Add(eventLoopRequesters)
	for i := 0; i < eventLoopRequesters; i++ {
		key := "k" + strconv.Itoa(i%100)
		go func() {
			defer wg.Done()
			for j := 0; j < eventLoopRequestsEach; j++ {
				r := request{key, make(chan int64, 1)}
				select {
				case events <- r:
				default:
					panic("queue full")
				}
				<-r.reply
			}
		}()
	}
	wg.Wait()
	close(events)
	if n := <-applied; n != eventLoopRequesters*eventLoopRequestsEach {
		b.Fatalf("the owner applied %d requests", n)
	}
}

// own is the owner's loop: one turn per received request plus whatever else is queued, up to
// maxEventsPerTurn; it returns the count applied once events is closed.
func own(events chan request) int {
	state := map[string]int64{} // touched by this goroutine only
	turn := make([]request, 0, maxEventsPerTurn)
	results := make([]int64, maxEventsPerTurn)
	applied := 0
	for r := range events {
		turn = append(turn[:0], r)
	drain:
		for len(turn) < maxEventsPerTurn {
			select {
			case r, ok := <-events:
				if !ok {
					break drain
				}
				turn = append(turn, r)
			default:
				break drain
			}
		}
		for i, q := range turn {
			state[q.key]++
			results[i] = state[q.key]
		}
		for i, q := range turn {
			q.reply <- results[i]
		}
		applied += len(turn)
	}
	return applied
}
