package raftkv.server.http;

import io.javalin.http.Context;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Sends a client request that reached a follower on to the leader, and brings back its answer.
 *
 * <p>The request goes out as the client sent it — method, path, body and session headers — plus
 * {@value #FORWARDED_BY_HEADER}, so the receiver knows not to forward it again (no loops when two
 * nodes disagree about the leader). A write the client sent without a session goes with the session
 * this node lent it ({@link ServerSessions}), so every copy carries the same id and a retry cannot
 * apply it twice; reads and the client's own sessions' writes are retried only when the request
 * provably never reached the leader (the connection was refused).
 *
 * <p>Connections to the leader are kept alive and reused ({@link HttpExchange}), so a forward costs
 * one loopback round trip on top of the leader's own work, not a connection setup.
 *
 * <p>A forward runs inside the client's request, which holds one of this node's admission permits
 * ({@link Admission}) until it is answered: so there are never more forwards in flight, nor idle
 * connections kept, than {@code --max-inflight-requests}. The leader admits the forwarded request
 * like any other; its {@code 429} comes back to the client as it is, {@code Retry-After} included.
 */
final class Forwarder implements AutoCloseable {

    static final String FORWARDED_BY_HEADER = "X-Raftkv-Forwarded-By";
    /** Set on a 503 by a node that got a forwarded request but is not the leader (any more). */
    static final String NOT_LEADER_HEADER = "X-Raftkv-Not-Leader";

    private static final Duration CONNECT_TIMEOUT = Duration.ofMillis(500);

    /** What came of one attempt to forward. */
    sealed interface Outcome {
        /** The leader answered; relay this verbatim (unless {@code notLeader}: ask again). */
        record Answered(int status, String contentType, byte[] body, boolean notLeader, Optional<String> retryAfter)
                implements Outcome {}

        /** Never delivered: safe to retry, with or without a session. */
        record Unreachable() implements Outcome {}

        /** Delivered (maybe), but no answer in time: the outcome is unknown. */
        record TimedOut() implements Outcome {}

        /** The connection broke after the request may have been delivered. */
        record Failed(String reason) implements Outcome {}
    }

    /** Jetty closes a connection idle for 30 s; we stop reusing ours well before, not to race it. */
    private static final long MAX_IDLE_NANOS = Duration.ofSeconds(10).toNanos();

    private final String selfId;
    /** Idle kept-alive connections: a forward reuses one, so it costs no connection setup. */
    private final ConnectionPool idle;

    /** Closes idle connections that no forward came to take, at half the idle limit. */
    private final Thread sweeper;

    /** @param maxIdle idle connections kept at most (no more forwards are in flight at once than requests) */
    Forwarder(String selfId, int maxIdle) {
        this.selfId = selfId;
        this.idle = new ConnectionPool(maxIdle, MAX_IDLE_NANOS, System::nanoTime);
        this.sweeper = Thread.ofVirtual().name("forwarder-sweeper-" + selfId).start(() -> {
            try {
                while (true) {
                    Thread.sleep(MAX_IDLE_NANOS / 2_000_000);
                    idle.evictIdle();
                }
            } catch (InterruptedException e) {
                // closed
            }
        });
    }

    /** Stops the sweeper and closes every idle connection. */
    @Override
    public void close() {
        sweeper.interrupt();
        idle.clear();
    }

    /**
     * @param lentHeaders the session this node lent a sessionless write ({@link ServerSessions}), so
     *     that the leader proposes every copy with it; empty for reads and the client's own sessions
     */
    Outcome forward(Context ctx, URI leader, long deadlineNanos, Map<String, String> lentHeaders)
            throws InterruptedException {
        long remainingMillis = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (remainingMillis < 1) {
            return new Outcome.TimedOut();
        }
        String query = ctx.queryString();
        String target = ctx.req().getRequestURI() + (query == null ? "" : "?" + query);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(FORWARDED_BY_HEADER, selfId);
        for (String header : new String[] {"Content-Type", ClientRequests.CLIENT_ID_HEADER,
                ClientRequests.CLIENT_SEQ_HEADER}) {
            String value = ctx.header(header);
            if (value != null) {
                headers.put(header, value);
            }
        }
        headers.putAll(lentHeaders);
        byte[] body = ClientRequests.body(ctx); // read (and limited) before a connection is taken
        HttpExchange connection;
        try {
            connection = idle.take(leader);
            if (connection == null) {
                connection = HttpExchange.connect(leader, (int) Math.min(CONNECT_TIMEOUT.toMillis(), remainingMillis));
            }
        } catch (IOException e) { // refused or no answer to the connect: nothing was sent
            return new Outcome.Unreachable();
        }
        try {
            HttpExchange.Response response = connection.exchange(ctx.method().name(), target, leader, headers,
                    body, (int) Math.min(Integer.MAX_VALUE, remainingMillis));
            idle.giveBack(leader, connection);
            return new Outcome.Answered(response.status(),
                    response.headers().getOrDefault("content-type", "application/json"), response.body(),
                    response.headers().containsKey(NOT_LEADER_HEADER.toLowerCase(Locale.ROOT)),
                    Optional.ofNullable(response.headers().get(HttpApi.RETRY_AFTER.toLowerCase(Locale.ROOT))));
        } catch (SocketTimeoutException e) {
            connection.close();
            return new Outcome.TimedOut();
        } catch (IOException e) {
            connection.close();
            idle.closeAll(leader); // the node may have restarted: its other kept connections are likely dead too
            return new Outcome.Failed(e.toString());
        }
    }
}
