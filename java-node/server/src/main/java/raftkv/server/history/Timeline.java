package raftkv.server.history;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * One sample per wall-clock second over the last {@link #seconds} seconds ({@code GET /timeline}):
 * the node's term and commit index as the event loop last published them in that second, and the
 * client writes this node answered 2xx in it, with their mean and largest latency (from the
 * request's arrival to its answer: what a client waits for a commit). A fixed ring of buckets,
 * reused as the seconds go by; the loop and HTTP handlers (virtual threads) hold its lock only
 * briefly (a {@link ReentrantLock}: {@code synchronized} pins a virtual thread's carrier on Java 21).
 */
public final class Timeline {

    public static final int DEFAULT_SECONDS = 300;

    /**
     * @param second wall-clock second (epoch seconds)
     * @param writes client writes answered 2xx by this node in that second
     * @param latencyMeanMs their mean latency, 0 without writes
     * @param latencyMaxMs their largest latency, 0 without writes
     */
    public record Sample(long second, long term, long commitIndex, long writes, double latencyMeanMs,
            double latencyMaxMs) {}

    private static final class Bucket {
        long second = -1;
        long term;
        long commitIndex;
        long writes;
        long latencySumNanos;
        long latencyMaxNanos;

        void reset(long newSecond, long lastTerm, long lastCommit) {
            second = newSecond;
            term = lastTerm;
            commitIndex = lastCommit;
            writes = 0;
            latencySumNanos = 0;
            latencyMaxNanos = 0;
        }
    }

    private final int seconds;
    private final LongSupplier wallClockMillis;
    private final Bucket[] buckets;
    private final ReentrantLock lock = new ReentrantLock();
    private long lastTerm;
    private long lastCommit;

    public Timeline(int seconds, LongSupplier wallClockMillis) {
        if (seconds < 1) {
            throw new IllegalArgumentException("seconds must be >= 1, got " + seconds);
        }
        this.seconds = seconds;
        this.wallClockMillis = wallClockMillis;
        this.buckets = new Bucket[seconds];
        for (int i = 0; i < seconds; i++) {
            buckets[i] = new Bucket();
        }
    }

    /** The event loop published this term and commit index (every turn: cheap). */
    public void observe(long term, long commitIndex) {
        lock.lock();
        try {
            Bucket bucket = current();
            bucket.term = term;
            bucket.commitIndex = commitIndex;
            lastTerm = term;
            lastCommit = commitIndex;
        } finally {
            lock.unlock();
        }
    }

    /** This node answered a client write 2xx, {@code nanos} after it arrived. */
    public void writeAnswered(long nanos) {
        lock.lock();
        try {
            Bucket bucket = current();
            bucket.writes++;
            bucket.latencySumNanos += nanos;
            bucket.latencyMaxNanos = Math.max(bucket.latencyMaxNanos, nanos);
        } finally {
            lock.unlock();
        }
    }

    /** The samples of the last {@link #seconds} seconds, oldest first; a second nothing happened in is absent. */
    public List<Sample> samples() {
        lock.lock();
        try {
            long now = nowSecond();
            List<Sample> samples = new ArrayList<>(seconds);
            for (long second = now - seconds + 1; second <= now; second++) {
                Bucket b = buckets[slot(second)];
                if (b.second == second) {
                    samples.add(new Sample(b.second, b.term, b.commitIndex, b.writes,
                            b.writes == 0 ? 0 : b.latencySumNanos / 1e6 / b.writes, b.latencyMaxNanos / 1e6));
                }
            }
            return samples;
        } finally {
            lock.unlock();
        }
    }

    public int seconds() {
        return seconds;
    }

    /** The bucket of the current second, emptied if it held an older one; the caller holds the lock. */
    private Bucket current() {
        long second = nowSecond();
        Bucket bucket = buckets[slot(second)];
        if (bucket.second != second) {
            bucket.reset(second, lastTerm, lastCommit);
        }
        return bucket;
    }

    private long nowSecond() {
        return Math.floorDiv(wallClockMillis.getAsLong(), 1000L);
    }

    private int slot(long second) {
        return (int) Math.floorMod(second, (long) seconds);
    }
}
