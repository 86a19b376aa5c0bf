package raftkv.server.http;

import java.net.URI;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * The {@link Forwarder}'s idle kept-alive connections to the other nodes: a bounded LRU.
 *
 * <ul>
 *   <li>One list for all nodes, most recently given back first: {@link #take} hands out the most
 *       recently used connection to the node asked for, so the busy ones stay warm.
 *   <li>Every call first closes, from the other end, the connections idle longer than
 *       {@code maxIdleNanos} (the list is in the order they became idle, so those are all at the
 *       tail), and so does {@link #evictIdle} when no forward comes (forwards are rare: a leadership
 *       transfer): nothing sits unlooked-at in {@code CLOSE_WAIT}, and the connections to a node
 *       that no longer leads go within that time.
 *   <li>At most {@code maxIdle} connections are kept; the least recently used go first.
 *   <li>A connection is handed out only if it {@linkplain HttpExchange#looksOpen() looks open}: one
 *       the other node closed or reset while it sat idle (it restarted, or its idle timeout struck)
 *       is closed instead of being written to, which would fail the request after it was sent.
 * </ul>
 */
final class ConnectionPool {

    private record Idle(URI node, HttpExchange connection, long idleSinceNanos) {}

    private final int maxIdle;
    private final long maxIdleNanos;
    private final LongSupplier nanoTime;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: callers are virtual threads
    /** Most recently given back first. Guarded by {@link #lock}. */
    private final Deque<Idle> idle = new ArrayDeque<>();

    ConnectionPool(int maxIdle, long maxIdleNanos, LongSupplier nanoTime) {
        this.maxIdle = maxIdle;
        this.maxIdleNanos = maxIdleNanos;
        this.nanoTime = nanoTime;
    }

    /** The most recently used open idle connection to {@code node}, or null: connect anew. */
    HttpExchange take(URI node) {
        List<HttpExchange> closing = new ArrayList<>();
        try {
            while (true) {
                HttpExchange candidate = takeIdle(node, closing);
                if (candidate == null || candidate.looksOpen()) { // the check outside the lock: a syscall or two
                    return candidate;
                }
                closing.add(candidate);
            }
        } finally {
            closing.forEach(HttpExchange::close);
        }
    }

    /** Keeps {@code connection} to {@code node} for a later request, or closes it if it cannot be reused. */
    void giveBack(URI node, HttpExchange connection) {
        if (!connection.reusable()) {
            connection.close();
            return;
        }
        List<HttpExchange> closing = new ArrayList<>();
        lock.lock();
        try {
            long now = nanoTime.getAsLong();
            evictExpired(now, closing);
            idle.addFirst(new Idle(node, connection, now));
            while (idle.size() > maxIdle) {
                closing.add(idle.pollLast().connection());
            }
        } finally {
            lock.unlock();
        }
        closing.forEach(HttpExchange::close);
    }

    /** Closes every idle connection to {@code node} (it failed: the others are likely dead too). */
    void closeAll(URI node) {
        List<HttpExchange> closing = new ArrayList<>();
        lock.lock();
        try {
            for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) {
                Idle entry = it.next();
                if (entry.node().equals(node)) {
                    it.remove();
                    closing.add(entry.connection());
                }
            }
        } finally {
            lock.unlock();
        }
        closing.forEach(HttpExchange::close);
    }

    /** Closes the connections idle too long; {@link Forwarder}'s sweeper calls it when no forward does. */
    void evictIdle() {
        List<HttpExchange> closing = new ArrayList<>();
        lock.lock();
        try {
            evictExpired(nanoTime.getAsLong(), closing);
        } finally {
            lock.unlock();
        }
        closing.forEach(HttpExchange::close);
    }

    /** Closes every idle connection. */
    void clear() {
        List<HttpExchange> closing = new ArrayList<>();
        lock.lock();
        try {
            idle.forEach(entry -> closing.add(entry.connection()));
            idle.clear();
        } finally {
            lock.unlock();
        }
        closing.forEach(HttpExchange::close);
    }

    /** Idle connections kept now. */
    int size() {
        lock.lock();
        try {
            return idle.size();
        } finally {
            lock.unlock();
        }
    }

    private HttpExchange takeIdle(URI node, List<HttpExchange> closing) {
        lock.lock();
        try {
            evictExpired(nanoTime.getAsLong(), closing);
            for (Iterator<Idle> it = idle.iterator(); it.hasNext(); ) {
                Idle entry = it.next();
                if (entry.node().equals(node)) {
                    it.remove();
                    return entry.connection();
                }
            }
            return null;
        } finally {
            lock.unlock();
        }
    }

    private void evictExpired(long now, List<HttpExchange> closing) {
        while (!idle.isEmpty() && now - idle.peekLast().idleSinceNanos() >= maxIdleNanos) {
            closing.add(idle.pollLast().connection());
        }
    }
}
