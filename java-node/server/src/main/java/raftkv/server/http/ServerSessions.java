package raftkv.server.http;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.locks.ReentrantLock;
import raftkv.core.Session;

/**
 * The client sessions (dissertation §6.3) this node holds on behalf of clients that send writes
 * without one, so that every write the server proposes carries an id the state machine remembers.
 *
 * <p>Why: a node proposes a write again when it believes the first proposal was not appended (the
 * leader refused it, or none was known). Should that belief be wrong, two copies are in the log,
 * and a write without a session would apply twice. With a session both copies carry the same
 * (client id, sequence): the state machine executes the first to commit and answers the other from
 * its record, whatever the first proposal's fate. The same makes it safe for the server to try
 * again after an outcome it cannot know (a forward the leader never answered, a copy overwritten by
 * another leader): see {@link KvRoutes}.
 *
 * <p>A session of the state machine serves one command at a time in increasing sequence order
 * (its table records only the last one). So the node keeps a pool: a sessionless write takes a
 * session no other write holds ({@link #take}) and carries its next sequence number for all its
 * copies, and gives it back when answered ({@link #giveBack}) with the sequence advanced, whatever
 * the answer. A copy that is still in the log when the next write of that session commits is then
 * refused by the state machine as stale, never executed. When the pool is empty the write registers
 * a new session through the log first (the pool grows to the number of sessionless writes in
 * flight at once, which admission bounds).
 *
 * <p>Idle sessions are taken most recently used first, so the busy ones stay busy; one left unused
 * for half of {@code --session-idle-entries} log entries is dropped from the pool from the other
 * end, before the state machine may expire it (it then expires there in its turn). A registration
 * is not deduplicated, and need not be: a second copy only opens a session nobody uses.
 *
 * <p>Per boot: the pool is not persisted. A restarted node registers fresh sessions; those of its
 * previous run are never used again and expire by the table's LRU rule. Copies the previous run
 * left in the log carry the old sessions, so they cannot be confused with the new run's writes.
 */
final class ServerSessions {

    /** A session lent to one write, and the sequence number every copy of that write carries. */
    record Lease(String clientId, long sequence) {
        Session session() {
            return new Session(clientId, sequence);
        }
    }

    /** An idle session: the sequence its next write takes, and the applied index when it was given back. */
    private record Idle(String clientId, long nextSequence, long idleSinceIndex) {}

    private final int maxIdle;
    private final long dropAfterEntries;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: callers are virtual threads
    /** Most recently given back first. Guarded by {@link #lock}. */
    private final Deque<Idle> idle = new ArrayDeque<>();

    /**
     * @param maxIdle sessions kept idle at most (more are dropped when given back)
     * @param idleEntries the state machine's {@code --session-idle-entries}: a session idle that
     *     long may be expired there, so the pool drops one idle for half of it
     */
    ServerSessions(int maxIdle, long idleEntries) {
        this.maxIdle = maxIdle;
        this.dropAfterEntries = idleEntries / 2;
    }

    /** The most recently used idle session, or null if none is left (register one). */
    Lease take(long appliedIndex) {
        lock.lock();
        try {
            dropStale(appliedIndex);
            Idle session = idle.pollFirst();
            return session == null ? null : new Lease(session.clientId(), session.nextSequence());
        } finally {
            lock.unlock();
        }
    }

    /** A session the state machine just opened for this node, at sequence 1. */
    static Lease opened(String clientId) {
        return new Lease(clientId, 1);
    }

    /**
     * {@code lease}'s write is answered, whatever the answer: the session is free for the next
     * write, which takes the next sequence number.
     */
    void giveBack(Lease lease, long appliedIndex) {
        lock.lock();
        try {
            idle.addFirst(new Idle(lease.clientId(), lease.sequence() + 1, appliedIndex));
            while (idle.size() > maxIdle) {
                idle.pollLast();
            }
            dropStale(appliedIndex);
        } finally {
            lock.unlock();
        }
    }

    /** Sessions idle now. */
    int idleCount() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    /** Drops, from the least recently used end, sessions that the state machine may expire soon. */
    private void dropStale(long appliedIndex) {
        while (!idle.isEmpty() && appliedIndex - idle.peekLast().idleSinceIndex() > dropAfterEntries) {
            idle.pollLast();
        }
    }
}
