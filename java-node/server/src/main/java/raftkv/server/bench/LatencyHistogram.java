package raftkv.server.bench;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Latencies in microseconds, counted in log-linear buckets (the layout of HdrHistogram, written out
 * so that the load generator needs no library): values below 256 have a bucket each; above, every
 * power of two [2^e, 2^(e+1)) is cut into 128 equal buckets, so a bucket is at most 1/128 (0.8 %)
 * of the values in it wide. Up to 2^40 µs (12 days); longer values count as that.
 *
 * <p>Recording is one atomic increment, safe from any number of threads; percentiles are read once
 * the recording is over. A percentile is the highest value of the bucket that holds it (never
 * above the largest value recorded), so it is at most 0.8 % above the true one and never below.
 */
final class LatencyHistogram {

    /** log2 of the buckets per power of two: 128, for a relative precision under 1 %. */
    private static final int SUB_BITS = 7;
    private static final int SUB = 1 << SUB_BITS;
    /** Values below this have a bucket of their own (width 1). */
    private static final int EXACT = 2 * SUB;
    private static final int EXACT_BITS = SUB_BITS + 1;
    private static final int MAX_BITS = 40;
    static final long MAX_VALUE = (1L << MAX_BITS) - 1;
    private static final int BUCKETS = EXACT + (MAX_BITS - EXACT_BITS) * SUB;

    private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong max = new AtomicLong();

    void record(long micros) {
        long v = Math.max(0, Math.min(micros, MAX_VALUE));
        counts.incrementAndGet(bucketOf(v));
        total.incrementAndGet();
        if (v > max.get()) {
            max.accumulateAndGet(v, Math::max);
        }
    }

    long count() {
        return total.get();
    }

    long max() {
        return max.get();
    }

    /**
     * The smallest recorded value v such that at least {@code percent} % of the values are ≤ v
     * (bucket precision, see the class comment); 0 when nothing was recorded.
     */
    long percentile(double percent) {
        long n = total.get();
        if (n == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(percent / 100.0 * n));
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += counts.get(b);
            if (seen >= rank) {
                return Math.min(highestIn(b), max.get());
            }
        }
        return max.get();
    }

    /** Adds every count of {@code other} to this one (for the "all answers" histogram). */
    void add(LatencyHistogram other) {
        for (int b = 0; b < BUCKETS; b++) {
            long c = other.counts.get(b);
            if (c != 0) {
                counts.addAndGet(b, c);
            }
        }
        total.addAndGet(other.total.get());
        max.accumulateAndGet(other.max.get(), Math::max);
    }

    static int bucketOf(long v) {
        if (v < EXACT) {
            return (int) v;
        }
        int e = 63 - Long.numberOfLeadingZeros(v); // v is in [2^e, 2^(e+1)), e ≥ EXACT_BITS
        int sub = (int) (v >>> (e - SUB_BITS)); // in [SUB, 2·SUB)
        return EXACT + (e - EXACT_BITS) * SUB + (sub - SUB);
    }

    static long highestIn(int bucket) {
        if (bucket < EXACT) {
            return bucket;
        }
        int e = EXACT_BITS + (bucket - EXACT) / SUB;
        long sub = SUB + (bucket - EXACT) % SUB;
        return ((sub + 1) << (e - SUB_BITS)) - 1;
    }
}
