package raftkv.server.http;

import io.javalin.http.Context;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes connections whose requests arrive too slowly (slowloris). Jetty's idle timeout closes a
 * connection only after a silence, and Jetty has no deadline for a request's head, so a client
 * sending one byte a second holds its connection (and one of the {@code --max-connections}) as long
 * as it likes. This guard gives every request two deadlines instead, checked twice a second:
 *
 * <ul>
 *   <li>its head (request line and headers) must be complete within {@code readTimeout} of the
 *       first byte of it that arrived;
 *   <li>it must be answered within {@code readTimeout + requestTimeout} of its head: a body sent
 *       byte by byte misses this, while every handler answers within {@code requestTimeout}.
 * </ul>
 *
 * <p>A connection idle between requests is left to the idle timeout. A peer stream is a request
 * whose body never ends, by design: {@link PeerRoutes} marks it {@link #longLived} once its token is
 * checked, and it has no deadline (it carries heartbeats, and its sender reopens it if it breaks).
 *
 * <p>Only counters that Jetty keeps per connection are read (requests in, responses out, bytes in),
 * on one sweeper thread that owns each connection's {@link Watch}.
 */
final class SlowClientGuard extends AbstractLifeCycle implements Connection.Listener {

    private static final Logger log = LoggerFactory.getLogger(SlowClientGuard.class);
    private static final long SWEEP_MILLIS = 500;
    private static final long NEVER = Long.MIN_VALUE;

    /** What the sweeper last saw of one connection. */
    private static final class Watch {
        volatile boolean longLived; // set by a handler thread, read by the sweeper
        long requests; // Jetty's count of request heads completed on this connection
        long responses;
        long bytesAtRest; // bytes in when the last response completed
        long headSince = NEVER; // when the first byte of the next head was seen
        long exchangeSince = NEVER; // when the current request's head was seen

        /** Whether this connection missed a deadline, as of {@code now}. */
        boolean overdue(Connection connection, long now, long headLimit, long exchangeLimit) {
            long in = connection.getMessagesIn();
            long out = connection.getMessagesOut();
            long bytes = connection.getBytesIn();
            if (in > out) { // a request's head arrived and its response is not complete
                if (in != requests) {
                    requests = in;
                    exchangeSince = now;
                }
                responses = out;
                headSince = NEVER;
                return !longLived && now - exchangeSince > exchangeLimit;
            }
            if (in != requests || out != responses) { // a response completed since the last sweep
                requests = in;
                responses = out;
                bytesAtRest = bytes;
                headSince = NEVER;
                return false;
            }
            if (bytes == bytesAtRest) {
                return false; // idle between requests: the idle timeout's business
            }
            if (headSince == NEVER) {
                headSince = now; // the next request began arriving
            }
            return now - headSince > headLimit;
        }
    }

    private final long headLimitNanos;
    private final long exchangeLimitNanos;
    private final Map<Connection, Watch> watches = new ConcurrentHashMap<>();
    private ScheduledExecutorService sweeper;

    SlowClientGuard(long readTimeoutMs, long requestTimeoutMs) {
        this.headLimitNanos = TimeUnit.MILLISECONDS.toNanos(readTimeoutMs);
        this.exchangeLimitNanos = TimeUnit.MILLISECONDS.toNanos(readTimeoutMs + requestTimeoutMs);
    }

    @Override
    public void onOpened(Connection connection) {
        watches.put(connection, new Watch());
    }

    @Override
    public void onClosed(Connection connection) {
        watches.remove(connection);
    }

    /** Exempts the connection of {@code ctx}'s request from the deadlines: a peer stream. */
    void longLived(Context ctx) {
        Connection connection = ServletContextRequest.getServletContextRequest(ctx.req())
                .getConnectionMetaData().getConnection();
        Watch watch = watches.get(connection);
        if (watch != null) {
            watch.longLived = true;
        }
    }

    @Override
    protected void doStart() {
        sweeper = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "slow-client-guard");
            thread.setDaemon(true);
            return thread;
        });
        sweeper.scheduleWithFixedDelay(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        sweeper.shutdownNow();
    }

    private void sweep() {
        long now = System.nanoTime();
        int closed = 0;
        for (Map.Entry<Connection, Watch> entry : watches.entrySet()) {
            try {
                if (entry.getValue().overdue(entry.getKey(), now, headLimitNanos, exchangeLimitNanos)) {
                    entry.getKey().getEndPoint().close();
                    closed++;
                }
            } catch (RuntimeException e) { // an exception would end the scheduled sweeps for good
                log.error("checking connection {}", entry.getKey(), e);
            }
        }
        if (closed > 0) {
            log.warn("closed {} connection(s) whose request came too slowly (head within {} ms, answer within {} ms)",
                    closed, TimeUnit.NANOSECONDS.toMillis(headLimitNanos),
                    TimeUnit.NANOSECONDS.toMillis(exchangeLimitNanos));
        }
    }
}
