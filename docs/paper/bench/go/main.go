// The Go half of the paper's benchmark pair (docs/paper/bench/java/Bench.java is the other half;
// both print the same RESULT lines, which docs/paper/bench/run.sh turns into a table). Standard
// library only.
//
//	gobench pingpong|fanout|eventloop REPS   (one warm-up round, then REPS measured rounds)
//	gobench memory N                         (N parked goroutines; one measurement)
package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

const (
	pingPongRoundTrips    = 200_000
	fanOutTasks           = 100_000
	eventLoopRequesters   = 1_000
	eventLoopRequestsEach = 100
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gobench pingpong|fanout|eventloop REPS | memory N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "not a number:", os.Args[2])
		os.Exit(2)
	}
	switch os.Args[1] {
	case "pingpong":
		repeat("pingpong-goroutine", "ns/roundtrip", n, pingPong)
	case "fanout":
		repeat("fanout-goroutine", "ms", n, fanOut)
	case "eventloop":
		repeat("eventloop-goroutine", "ns/request", n, eventLoop)
	case "memory":
		memory(n)
	default:
		fmt.Fprintln(os.Stderr, "unknown benchmark", os.Args[1])
		os.Exit(2)
	}
}

// repeat runs one warm-up round, then reps measured ones, each printed as a RESULT line.
func repeat(name, unit string, reps int, m func() int64) {
	m()
	for i := 0; i < reps; i++ {
		fmt.Printf("RESULT %s %s %d\n", name, unit, m())
	}
}

// (a) Two goroutines hand a token back and forth through unbuffered channels.
func pingPong() int64 {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for i := 0; i < pingPongRoundTrips; i++ {
			pong <- (<-ping) + 1
		}
	}()
	start := time.Now()
	token := 0
	for i := 0; i < pingPongRoundTrips; i++ {
		ping <- token
		token = <-pong
	}
	elapsed := time.Since(start)
	if token != pingPongRoundTrips {
		panic(fmt.Sprint("token ", token))
	}
	return elapsed.Nanoseconds() / pingPongRoundTrips
}

// (b) 100,000 goroutines that each block for 1 ms, started at once, their results gathered.
func fanOut() int64 {
	start := time.Now()
	results := make(chan int, fanOutTasks)
	for i := 0; i < fanOutTasks; i++ {
		go func(task int) {
			time.Sleep(time.Millisecond)
			results <- task
		}(i)
	}
	sum := 0
	for i := 0; i < fanOutTasks; i++ {
		sum += <-results
	}
	elapsed := time.Since(start)
	if sum != fanOutTasks*(fanOutTasks-1)/2 {
		panic(fmt.Sprint("sum ", sum))
	}
	return elapsed.Milliseconds()
}

// (c) How much memory n parked goroutines cost: RSS and the runtime's own account, before and after.
func memory(n int) {
	release := make(chan struct{})
	var parked, done sync.WaitGroup
	settle()
	rssBefore, runtimeBefore := rssBytes(), runtimeBytes()
	parked.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			parked.Done()
			<-release
			done.Done()
		}()
	}
	parked.Wait()
	time.Sleep(200 * time.Millisecond) // let the last ones reach <-release
	settle()
	rssAfter, runtimeAfter := rssBytes(), runtimeBytes()
	fmt.Printf("RESULT memory-goroutine-rss bytes/task %d\n", (rssAfter-rssBefore)/int64(n))
	fmt.Printf("RESULT memory-goroutine-runtime bytes/task %d\n", (runtimeAfter-runtimeBefore)/int64(n))
	close(release)
	done.Wait()
}

func settle() {
	for i := 0; i < 3; i++ {
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
	}
}

// runtimeBytes is what the Go runtime has in use for goroutine stacks and heap objects (the g
// structs live on the heap).
func runtimeBytes() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.StackInuse + m.HeapInuse)
}

func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if strings.HasPrefix(s.Text(), "VmRSS:") {
			kb, err := strconv.ParseInt(strings.Fields(s.Text())[1], 10, 64)
			if err != nil {
				panic(err)
			}
			return kb * 1024
		}
	}
	panic("no VmRSS in /proc/self/status")
}

// (d) raftkv's event-loop pattern: one owner goroutine holds the state; requesters send a request
// with a reply channel on a buffered channel and wait for the reply.
type request struct {
	key   string
	reply chan int64
}

func eventLoop() int64 {
	events := make(chan request, 10_000)
	ownerDone := make(chan struct{})
	go func() {
		state := map[string]int64{} // touched by this goroutine only
		for r := range events {
			state[r.key]++
			r.reply <- state[r.key]
		}
		close(ownerDone)
	}()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(eventLoopRequesters)
	for i := 0; i < eventLoopRequesters; i++ {
		key := "k" + strconv.Itoa(i%100)
		go func() {
			defer wg.Done()
			for j := 0; j < eventLoopRequestsEach; j++ {
				reply := make(chan int64, 1)
				events <- request{key, reply}
				<-reply
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	close(events)
	<-ownerDone
	return elapsed.Nanoseconds() / (eventLoopRequesters * eventLoopRequestsEach)
}
