package raftkv.server.bench;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import raftkv.server.bench.ResponseReader.Response;

/**
 * What ConnLoad's connections saw during the measured window, shared by all of them: answers by
 * status and by what the 429/503 answers said, their latencies by status class, and the socket
 * errors. An event counts when it happens inside the window (an answer: when it is complete), so
 * the counts are rates over the window whatever was in flight at its edges.
 */
final class LoadStats {

    /** The classes whose latencies are kept apart; "all" is their sum. */
    enum Class {
        OK("2xx"),
        TOO_MANY("429"),
        UNAVAILABLE("503"),
        OTHER("other");

        final String label;

        Class(String label) {
            this.label = label;
        }
    }

    /** The window, in ConnLoad's clock (nanoseconds since it started); no event counts before it is set. */
    private volatile long windowStart = Long.MAX_VALUE;
    private final long windowNanos;

    private final AtomicLongArray byStatus = new AtomicLongArray(600);
    private final LatencyHistogram[] latency = new LatencyHistogram[Class.values().length];
    final LongAdder s429RetryAfter = new LongAdder();
    final LongAdder s429Definite = new LongAdder();
    final LongAdder s429Both = new LongAdder();
    final LongAdder s503RetryAfter = new LongAdder();
    final LongAdder s503Definite = new LongAdder();
    final LongAdder s503Both = new LongAdder();
    final LongAdder connectErrors = new LongAdder();
    final LongAdder readErrors = new LongAdder();
    final LongAdder writeErrors = new LongAdder();
    final LongAdder timeouts = new LongAdder();
    final LongAdder malformed = new LongAdder();
    final LongAdder closedByServer = new LongAdder();
    final LongAdder reconnects = new LongAdder();
    /** Before the window: the ramp's failed connects. */
    final LongAdder rampConnectErrors = new LongAdder();

    LoadStats(long windowNanos) {
        this.windowNanos = windowNanos;
        for (int i = 0; i < latency.length; i++) {
            latency[i] = new LatencyHistogram();
        }
    }

    void startWindow(long now) {
        windowStart = now;
    }

    long windowStart() {
        return windowStart;
    }

    boolean inWindow(long t) {
        long start = windowStart;
        return t >= start && t - start < windowNanos;
    }

    /** Counts {@code adder} if {@code t} is in the window. */
    void count(LongAdder adder, long t) {
        if (inWindow(t)) {
            adder.increment();
        }
    }

    /** An answer to a request sent at {@code sent}, complete at {@code done}. */
    void answered(Response r, long sent, long done) {
        if (!inWindow(done)) {
            return;
        }
        int status = r.status();
        byStatus.incrementAndGet(status); // 100..599, as the reader checked
        Class c = status >= 200 && status <= 299 ? Class.OK
                : status == 429 ? Class.TOO_MANY
                : status == 503 ? Class.UNAVAILABLE
                : Class.OTHER;
        latency[c.ordinal()].record((done - sent) / 1_000);
        if (c == Class.TOO_MANY) {
            tally(r, s429RetryAfter, s429Definite, s429Both);
        } else if (c == Class.UNAVAILABLE) {
            tally(r, s503RetryAfter, s503Definite, s503Both);
        }
    }

    private static void tally(Response r, LongAdder retryAfter, LongAdder definite, LongAdder both) {
        if (r.retryAfter()) {
            retryAfter.increment();
        }
        if (r.definite()) {
            definite.increment();
        }
        if (r.retryAfter() && r.definite()) {
            both.increment();
        }
    }

    long status(int status) {
        return byStatus.get(status);
    }

    long answers() {
        long n = 0;
        for (int s = 0; s < byStatus.length(); s++) {
            n += byStatus.get(s);
        }
        return n;
    }

    long ok() {
        return latency[Class.OK.ordinal()].count();
    }

    /** The answers by status, e.g. {"200": 5120, "429": 33}. */
    Map<String, Long> statuses() {
        Map<String, Long> m = new TreeMap<>();
        for (int s = 0; s < byStatus.length(); s++) {
            if (byStatus.get(s) > 0) {
                m.put(Integer.toString(s), byStatus.get(s));
            }
        }
        return m;
    }

    /** Per class and over all answers: count, then p50/p90/p99/max in milliseconds. */
    Map<String, Map<String, Object>> latencies() {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        LatencyHistogram all = new LatencyHistogram();
        for (Class c : Class.values()) {
            m.put(c.label, summary(latency[c.ordinal()]));
            all.add(latency[c.ordinal()]);
        }
        m.put("all", summary(all));
        return m;
    }

    private static Map<String, Object> summary(LatencyHistogram h) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", h.count());
        m.put("p50", millis(h.percentile(50)));
        m.put("p90", millis(h.percentile(90)));
        m.put("p99", millis(h.percentile(99)));
        m.put("max", millis(h.max()));
        return m;
    }

    /** Microseconds as milliseconds with three decimals, a JSON number. */
    static double millis(long micros) {
        return Double.parseDouble(String.format(Locale.ROOT, "%.3f", micros / 1000.0));
    }
}
