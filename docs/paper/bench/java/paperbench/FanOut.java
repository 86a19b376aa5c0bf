package paperbench;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;

/**
 * (b) Fan-out/fan-in: 100,000 tasks started at once, each blocks for 1 ms, adds its number to a
 * shared counter and counts down a latch; the caller waits for the latch. Go does exactly this with
 * goroutines, {@code atomic.Int64} and a {@code sync.WaitGroup} (go/bench_test.go, BenchmarkFanOut):
 * the same work on both sides, no executor, no futures, no boxing.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class FanOut {

    static final int TASKS = 100_000;

    @Benchmark
    public long virtualThreads() throws InterruptedException {
        AtomicLong sum = new AtomicLong();
        CountDownLatch done = new CountDownLatch(TASKS);
        for (int i = 0; i < TASKS; i++) {
            long task = i;
            Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                sum.addAndGet(task);
                done.countDown();
            });
        }
        done.await();
        long expected = (long) TASKS * (TASKS - 1) / 2;
        if (sum.get() != expected) {
            throw new AssertionError("sum " + sum.get() + ", expected " + expected);
        }
        return sum.get();
    }
}
