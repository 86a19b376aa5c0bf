package raftkv.sim;

import java.util.PriorityQueue;

/**
 * The simulated clock: a priority queue of events ordered by virtual time in milliseconds. Events
 * at the same instant run in the order they were scheduled (the sequence number breaks ties), so a
 * run depends on nothing but its seed.
 */
final class Scheduler {

    private record Scheduled(long time, long sequence, Event event) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled other) {
            int byTime = Long.compare(time, other.time);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }

    private final PriorityQueue<Scheduled> queue = new PriorityQueue<>();
    private long now;
    private long nextSequence;
    private long processed;

    long now() {
        return now;
    }

    /** Number of events taken off the queue so far. */
    long processed() {
        return processed;
    }

    void after(long delayMs, Event event) {
        if (delayMs < 0) {
            throw new IllegalArgumentException("events cannot be scheduled in the past: " + delayMs);
        }
        queue.add(new Scheduled(now + delayMs, nextSequence++, event));
    }

    /** The next event due at or before {@code until}, advancing the clock to it; null if none. */
    Event next(long until) {
        Scheduled head = queue.peek();
        if (head == null || head.time() > until) {
            now = Math.max(now, until);
            return null;
        }
        queue.poll();
        now = head.time();
        processed++;
        return head.event();
    }
}
