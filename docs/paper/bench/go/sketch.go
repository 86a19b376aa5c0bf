package main

// The Go shapes of raftkv's Java pieces, quoted in the paper next to the Java excerpts (section 4).
// They are compiled with the benchmark (make paper-bench), so the quoted Go is at least valid Go;
// they are not a Raft implementation.

import (
	"errors"
	"time"
)

// Message mirrors raftkv.core.Message: an interface, and one struct per RPC. Go has no sealed
// interfaces; the unexported method only keeps other packages from adding message types.
type Message interface{ isMessage() }

type RequestVote struct {
	Term                      int64
	From, To                  string
	LastLogIndex, LastLogTerm int64
}

type RequestVoteReply struct {
	Term        int64
	From, To    string
	VoteGranted bool
}

func (RequestVote) isMessage()      {}
func (RequestVoteReply) isMessage() {}

// step mirrors the switch of RulesForServers.stepFollower. A forgotten case compiles without a warning; only the
// default branch notices, at run time.
func step(m Message) string {
	switch m := m.(type) {
	case RequestVote:
		return "handleRequestVote from " + m.From
	case RequestVoteReply:
		return "handleRequestVoteReply from " + m.From
	default:
		panic("unknown message type")
	}
}

// proposal mirrors EventLoop.Propose: a command and a one-shot reply channel (CompletableFuture).
type proposal struct {
	command string
	reply   chan string
}

// ownerLoop mirrors EventLoop.run: one goroutine owns the state; select waits for whichever comes
// first, a peer message, a proposal, a tick or the end.
func ownerLoop(peers <-chan Message, proposals <-chan proposal, tick time.Duration, done <-chan struct{}) {
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	log := []string{}
	for {
		select {
		case <-ticker.C:
			// node.Tick()
		case m := <-peers:
			step(m)
		case p := <-proposals:
			log = append(log, p.command)
			p.reply <- "appended" // raftkv answers only after commit and apply
		case <-done:
			return
		}
		// handle the Ready: persist, send, apply, advance
	}
}

var errOverloaded = errors.New("overloaded: nothing was done")
var errTimeout = errors.New("timeout: the write may still take effect")

// propose mirrors KvRoutes: offer without blocking, then wait for the reply or the deadline.
func propose(proposals chan<- proposal, command string, timeout time.Duration) (string, error) {
	reply := make(chan string, 1)
	select {
	case proposals <- proposal{command, reply}:
	default:
		return "", errOverloaded
	}
	select {
	case r := <-reply:
		return r, nil
	case <-time.After(timeout):
		return "", errTimeout
	}
}
