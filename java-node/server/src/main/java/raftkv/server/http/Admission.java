package raftkv.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import raftkv.server.NodeConfig;

/**
 * Admission control: a node holds at most {@code --max-inflight-requests} client requests at once
 * (writes awaiting commit, reads awaiting a read index, requests waiting for a leader or forwarded
 * to it). A request takes a place before anything else is done with it, before its body is read,
 * and gives it back once it is answered.
 *
 * <p>When every place is taken, the request waits for one in a bounded waiting room
 * ({@code --max-waiting-requests}), at most {@code --admission-wait-ms}, its body still unread: a
 * parked virtual thread and its connection, a few KiB. This is the backpressure: a client that
 * sends more than the node can commit is slowed down to the node's pace, as a full channel slows a
 * Go sender, instead of being told "no" in a millisecond and sending again at once (a closed-loop
 * client that ignores {@code Retry-After} would then spend the node's CPU on refusals). A request
 * that finds the waiting room full, or waits out its time, is answered {@code 429 overloaded},
 * definite (nothing was proposed), with {@code Retry-After}. Every bound is fixed, so the node's
 * memory is too, whatever the number of clients.
 *
 * <p>One bound for every kind of request, not one per kind: a request is exactly one of those
 * things at any moment, and what it costs the node while it waits (its body, its virtual thread,
 * its event in the loop's client queue, a forward's connection to the leader) is about the same.
 * Writes a follower forwards on the peer stream are held by the leader's core, beyond this bound:
 * at most each follower's bound of them.
 *
 * <p>No place can leak: it is taken in a before-handler and given back in an after-handler, and
 * Javalin runs the after-handlers of every request whose before-handlers ran, whether the endpoint
 * answered, threw (a 400 or 413 from validation, any other exception) or was never reached. The
 * place lives on the request and is given back once, even if two patterns match the path.
 */
final class Admission {

    /** The routes that hold client work; {@code /status}, {@code /metrics} and peers are never refused. */
    static final List<String> CLIENT_PATHS = List.of("/kv", "/kv/*", "/sessions", "/debug/*");

    private static final String PERMIT = "raftkv.admission.permit";

    /** What an admitted request holds, given back once. */
    private record Held(int bodyKiB, AtomicBoolean held) {}

    private final NodeConfig.Limits limits;
    private final Semaphore permits;
    /** The bodies admitted requests may hold together, in KiB: each reserves what it may read. */
    private final Semaphore bodyKiB;
    private final AtomicInteger waiting = new AtomicInteger();

    Admission(NodeConfig.Limits limits) {
        this.limits = limits;
        // Fair, and taken only with the timed tryAcquire (a zero wait for the first try), which honours
        // fairness: places go first come, first served. With barging, a request that had just arrived
        // took the place a waiting one was due, the longest waits grew without bound, and at 10,000
        // connections the p99 was twice the p50.
        this.permits = new Semaphore(limits.maxInflightRequests(), true);
        this.bodyKiB = new Semaphore(limits.maxInflightBodyKiB(), true);
    }

    /** Adds the before- and after-handlers; call before any other before-handler of these paths. */
    void register(JavalinConfig javalin) {
        for (String path : CLIENT_PATHS) {
            javalin.routes.before(path, this::admit);
            javalin.routes.after(path, this::release);
        }
    }

    private void admit(Context ctx) {
        if (ctx.attribute(PERMIT) != null) {
            return; // a second pattern matched this path: one permit per request
        }
        int kib = reservedKiB(ctx);
        if (!(tryPlace(kib) || awaitPlace(kib))) {
            throw new ApiException(ErrorCode.OVERLOADED, "this node holds " + limits.maxInflightRequests()
                    + " client requests (or " + limits.maxInflightBodyKiB() + " KiB of their bodies) already and "
                    + limits.maxWaitingRequests() + " may wait for a place; nothing was done: retry after the"
                    + " Retry-After delay, or ask another node");
        }
        ctx.attribute(PERMIT, new Held(kib, new AtomicBoolean(true)));
    }

    /**
     * What the request's body may take while it is held: its declared length, or, for a chunked body
     * whose length nobody knows yet, the most a client body may be (64 KiB); at least 1 KiB.
     */
    private static int reservedKiB(Context ctx) {
        long declared = ctx.contentLength();
        long bytes = declared < 0 || declared > ClientRequests.MAX_BODY_BYTES ? ClientRequests.MAX_BODY_BYTES : declared;
        return (int) Math.max(1, (bytes + 1023) / 1024);
    }

    /** A place now, if one is free and nobody waits for one before us. */
    private boolean tryPlace(int kib) {
        try {
            if (!permits.tryAcquire(0, TimeUnit.SECONDS)) {
                return false;
            }
            if (bodyKiB.tryAcquire(kib, 0, TimeUnit.SECONDS)) {
                return true;
            }
            permits.release();
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Waits in the waiting room for a place; false if the room is full or the wait ran out. */
    private boolean awaitPlace(int kib) {
        if (waiting.incrementAndGet() > limits.maxWaitingRequests()) {
            waiting.decrementAndGet();
            return false;
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.admissionWaitMs());
        try {
            if (!permits.tryAcquire(limits.admissionWaitMs(), TimeUnit.MILLISECONDS)) {
                return false;
            }
            if (bodyKiB.tryAcquire(kib, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                return true;
            }
            permits.release();
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Requests holding a place now. */
    int inflight() {
        return limits.maxInflightRequests() - permits.availablePermits();
    }

    /** Requests waiting for a place now. */
    int waiting() {
        return waiting.get();
    }

    private void release(Context ctx) {
        Held held = ctx.attribute(PERMIT);
        if (held != null && held.held().compareAndSet(true, false)) {
            bodyKiB.release(held.bodyKiB());
            permits.release();
        }
    }
}
