package raftkv.server.history;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The last {@link #capacity} events of a node, in memory (lost when the process ends; the other
 * members keep theirs). Written by the event loop, read by HTTP handlers (virtual threads): every
 * method holds the lock briefly and never blocks inside it; a {@link ReentrantLock}, not
 * {@code synchronized}, which pins a virtual thread's carrier on Java 21.
 */
public final class EventHistory {

    public static final int DEFAULT_CAPACITY = 1_000;

    /** Events after {@code since}, and what the history held: {@code first} is its oldest event's seq. */
    public record Page(long first, long last, List<NodeEvent> events) {}

    private final int capacity;
    private final LongSupplier wallClock;
    private final ArrayDeque<NodeEvent> events;
    private final long bootMillis;
    private final ReentrantLock lock = new ReentrantLock();
    private long nextSeq = 1;

    /** @param wallClock milliseconds since the epoch ({@code System::currentTimeMillis} outside tests) */
    public EventHistory(int capacity, LongSupplier wallClock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.wallClock = wallClock;
        this.events = new ArrayDeque<>(capacity);
        this.bootMillis = wallClock.getAsLong();
    }

    /** When this history began (the process started): a client's cursor from another boot is void. */
    public long bootMillis() {
        return bootMillis;
    }

    public NodeEvent record(NodeEvent.Kind kind, long term, String text) {
        lock.lock();
        try {
            NodeEvent event = new NodeEvent(nextSeq++, wallClock.getAsLong(), kind, term, text);
            if (events.size() == capacity) {
                events.removeFirst(); // bounded: the oldest goes
            }
            events.addLast(event);
            return event;
        } finally {
            lock.unlock();
        }
    }

    /** At most {@code limit} events with a seq above {@code since}, oldest first. */
    public Page since(long since, int limit) {
        lock.lock();
        try {
            List<NodeEvent> page = new ArrayList<>(Math.min(limit, events.size()));
            for (NodeEvent event : events) {
                if (event.seq() > since && page.size() < limit) {
                    page.add(event);
                }
            }
            long first = events.isEmpty() ? nextSeq : events.peekFirst().seq();
            return new Page(first, nextSeq - 1, page);
        } finally {
            lock.unlock();
        }
    }

    public int capacity() {
        return capacity;
    }
}
