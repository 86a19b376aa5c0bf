package paperbench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * (d) raftkv's event loop as raftkv runs it (java-node/server/.../EventLoop.java and LoopInbox.java):
 * one platform thread owns the state; requesters (virtual threads, as raftkv's HTTP handlers) offer
 * a request to a bounded queue, unpark the owner and wait on their future. The owner, finding the
 * queue empty, parks; otherwise it takes up to 2,000 requests in one turn, applies them all, then
 * completes their futures. Go (go/bench_test.go, BenchmarkEventLoop): an owner goroutine receives
 * one request, drains up to 1,999 more from the buffered channel without blocking, applies them all,
 * then answers each on its reply channel.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(EventLoop.REQUESTERS * EventLoop.REQUESTS_EACH)
public class EventLoop {

    static final int REQUESTERS = 1_000;
    static final int REQUESTS_EACH = 100;
    static final int MAX_EVENTS_PER_TURN = 2_000; // raftkv's EventLoop.MAX_CLIENT_EVENTS_PER_TURN
    static final int QUEUE_CAPACITY = 10_000;

    static final class Request {
        final String key;
        final CompletableFuture<Request> reply = new CompletableFuture<>();
        long result; // written by the owner before it completes reply

        Request(String key) {
            this.key = key;
        }
    }

    static final class Counter {
        long value;
    }

    @Benchmark
    public long platformOwnerVirtualRequesters() throws InterruptedException {
        ArrayBlockingQueue<Request> events = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong applied = new AtomicLong();
        Thread owner = Thread.ofPlatform().start(() -> applied.set(own(events, stop)));
        Thread[] requesters = new Thread[REQUESTERS];
        for (int i = 0; i < REQUESTERS; i++) {
            String key = "k" + (i % 100);
            requesters[i] = Thread.ofVirtual().start(() -> {
                for (int j = 0; j < REQUESTS_EACH; j++) {
                    Request r = new Request(key);
                    if (!events.offer(r)) {
                        throw new AssertionError("queue full with " + REQUESTERS + " requesters");
                    }
                    LockSupport.unpark(owner);
                    r.reply.join();
                }
            });
        }
        for (Thread t : requesters) {
            t.join();
        }
        stop.set(true);
        LockSupport.unpark(owner);
        owner.join();
        if (applied.get() != (long) REQUESTERS * REQUESTS_EACH) {
            throw new AssertionError("the owner applied " + applied.get() + " requests");
        }
        return applied.get();
    }

    /** The owner's loop: park while empty, else one turn of up to MAX_EVENTS_PER_TURN; the count applied. */
    static long own(ArrayBlockingQueue<Request> events, AtomicBoolean stop) {
        Map<String, Counter> state = new HashMap<>(); // touched by this thread only
        List<Request> turn = new ArrayList<>(MAX_EVENTS_PER_TURN);
        long applied = 0;
        while (true) {
            Request r;
            for (int n = 0; n < MAX_EVENTS_PER_TURN && (r = events.poll()) != null; n++) {
                turn.add(r);
            }
            if (turn.isEmpty()) {
                if (stop.get()) {
                    return applied;
                }
                LockSupport.park(); // an unpark between poll and park is not lost (the permit)
                continue;
            }
            for (Request q : turn) {
                q.result = ++state.computeIfAbsent(q.key, k -> new Counter()).value;
            }
            for (Request q : turn) {
                q.reply.complete(q);
            }
            applied += turn.size();
            turn.clear();
        }
    }
}
