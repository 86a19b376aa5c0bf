// The Go half of the memory measurement (c) (java/paperbench/ParkedMemory.java is the other half;
// the timed benchmarks are in bench_test.go). Standard library only.
//
//	gobench memory N DEPTH   (N goroutines parked under DEPTH frames; one measurement)
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

func main() {
	if len(os.Args) != 4 || os.Args[1] != "memory" {
		fmt.Fprintln(os.Stderr, "usage: gobench memory N DEPTH")
		os.Exit(2)
	}
	n, err1 := strconv.Atoi(os.Args[2])
	depth, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || n <= 0 || depth < 0 {
		fmt.Fprintln(os.Stderr, "N and DEPTH must be numbers (N > 0, DEPTH >= 0):", os.Args[2], os.Args[3])
		os.Exit(2)
	}
	memory(n, depth)
}

// memory measures what n goroutines parked under depth frames cost: RSS and the runtime's own
// account (stacks + heap), before and after.
func memory(n, depth int) {
	release := make(chan struct{})
	var parked, done sync.WaitGroup
	settle()
	rssBefore, runtimeBefore := rssBytes(), runtimeBytes()
	parked.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			descend(depth, &parked, release, int64(i))
			done.Done()
		}()
	}
	parked.Wait()
	time.Sleep(200 * time.Millisecond) // let the last ones reach <-release
	settle()
	rssAfter, runtimeAfter := rssBytes(), runtimeBytes()
	name := fmt.Sprintf("memory-goroutine-d%d", depth)
	fmt.Printf("RESULT %s-rss bytes/task %d\n", name, (rssAfter-rssBefore)/int64(n))
	fmt.Printf("RESULT %s-runtime bytes/task %d\n", name, (runtimeAfter-runtimeBefore)/int64(n))
	close(release)
	done.Wait()
}

// descend makes depth frames, each with three int64s live across the call, then parks; the same
// frames as ParkedMemory.descend in Java.
//
//go:noinline
func descend(depth int, parked *sync.WaitGroup, release chan struct{}, a int64) int64 {
	b := a*31 + int64(depth)
	c := b ^ (b >> 7)
	d := c + int64(depth)
	if depth == 0 {
		parked.Done()
		<-release
		return b + c + d
	}
	return descend(depth-1, parked, release, d) + b + c
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
