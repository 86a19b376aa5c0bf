package raftkv.core;

import java.util.ArrayDeque;

/**
 * The window of AppendEntries a leader has sent one follower in REPLICATE mode and not yet heard
 * back about, each remembered by the index of its last entry: etcd-io/raft's
 * {@code tracker.Inflights} (count bound only, no byte bound).
 *
 * <p>Why a window: in REPLICATE mode the leader advances nextIndex as soon as it sends, so without a
 * bound a follower that is slow (or gone) gets message after message until the transport's per-peer
 * queue overflows and drops them. With the window full the leader sends that follower no new entries
 * until it acknowledges some; heartbeats still go (§5.2).
 */
final class Inflights {

    private final int capacity;
    /** Last indexes of the messages in flight, oldest first; strictly increasing. */
    private final ArrayDeque<Long> lastIndexes = new ArrayDeque<>();

    Inflights(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("an inflight window holds at least 1 message, got " + capacity);
        }
        this.capacity = capacity;
    }

    /** No room for another message: send no new entries until an acknowledgement frees some. */
    boolean full() {
        return lastIndexes.size() >= capacity;
    }

    int count() {
        return lastIndexes.size();
    }

    /** A message whose last entry is {@code lastIndex} was sent; call only when not {@link #full()}. */
    void add(long lastIndex) {
        if (full()) {
            throw new IllegalStateException("inflight window is full (" + capacity + " messages)");
        }
        if (!lastIndexes.isEmpty() && lastIndex <= lastIndexes.peekLast()) {
            // nextIndex only moves forward in REPLICATE mode; going back means PROBE, which resets.
            throw new IllegalStateException("message ending at " + lastIndex + " sent after one ending at "
                    + lastIndexes.peekLast() + " without a reset");
        }
        lastIndexes.addLast(lastIndex);
    }

    /**
     * The follower holds every entry up to {@code index}: each message that ended there or earlier
     * has arrived (or no longer matters) and leaves the window. etcd-io/raft's {@code FreeLE}.
     */
    void freeUpTo(long index) {
        while (!lastIndexes.isEmpty() && lastIndexes.peekFirst() <= index) {
            lastIndexes.removeFirst();
        }
    }

    /** Forget every message in flight: the leader stopped streaming to this follower (PROBE, SNAPSHOT). */
    void reset() {
        lastIndexes.clear();
    }
}
