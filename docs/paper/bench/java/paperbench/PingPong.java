package paperbench;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * (a) Two tasks hand one token back and forth through rendezvous queues; Go: two goroutines and
 * unbuffered channels (go/bench_test.go, BenchmarkPingPong). Both sides pass a reference to the same
 * mutable token, so neither allocates per hand-off (no boxing: a {@code SynchronousQueue<Integer>}
 * would allocate an Integer above 127 on every step, Go's {@code chan int} does not).
 *
 * <p>The one-carrier variant runs the virtual threads on a single carrier thread
 * ({@code jdk.virtualThreadScheduler.parallelism=1}), the counterpart of Go at GOMAXPROCS=1: the
 * woken task then runs next on the same OS thread, which is what Go's {@code runnext} slot gives a
 * goroutine woken by a channel send even at GOMAXPROCS=2 (docs/paper/bench/README.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@OperationsPerInvocation(PingPong.ROUND_TRIPS)
public class PingPong {

    static final int ROUND_TRIPS = 20_000;

    /** The token both tasks pass; only the task holding it touches it. */
    static final class Token {
        int value;
    }

    @Benchmark
    public int virtualThreads() throws InterruptedException {
        return run(Thread.ofVirtual());
    }

    @Benchmark
    @Fork(jvmArgsAppend = "-Djdk.virtualThreadScheduler.parallelism=1")
    public int virtualThreadsOneCarrier() throws InterruptedException {
        return run(Thread.ofVirtual());
    }

    @Benchmark
    public int platformThreads() throws InterruptedException {
        return run(Thread.ofPlatform());
    }

    static int run(Thread.Builder builder) throws InterruptedException {
        SynchronousQueue<Token> ping = new SynchronousQueue<>();
        SynchronousQueue<Token> pong = new SynchronousQueue<>();
        Token token = new Token();
        Thread ponger = builder.start(() -> {
            try {
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    Token t = ping.take();
                    t.value++;
                    pong.put(t);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread pinger = builder.start(() -> {
            try {
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    ping.put(token);
                    pong.take();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        pinger.join();
        ponger.join();
        if (token.value != ROUND_TRIPS) {
            throw new AssertionError("token " + token.value + " after " + ROUND_TRIPS + " round trips");
        }
        return token.value;
    }
}
