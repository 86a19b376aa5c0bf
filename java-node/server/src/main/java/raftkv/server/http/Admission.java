package raftkv.server.http;

import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Admission control: a node holds at most {@code --max-inflight-requests} client requests at once
 * (writes awaiting commit, reads awaiting a read index, requests waiting for a leader or forwarded
 * to it). A request takes a permit before anything else is done with it, before its body is read,
 * and gives it back once it is answered. When no permit is free it is answered at once
 * {@code 429 overloaded}, definite (nothing was proposed), with {@code Retry-After}: the client
 * learns in a millisecond to come back later, instead of waiting in a queue that only grows while
 * the node runs out of memory and stops answering its peers.
 *
 * <p>One bound for every kind of request, not one per kind: a request is exactly one of those
 * things at any moment, and what it costs the node while it waits (its body, its virtual thread,
 * its event in the loop's client queue, a forward's connection to the leader) is about the same.
 * Writes a follower forwards on the peer stream are held by the leader's core, beyond this bound:
 * at most each follower's bound of them.
 *
 * <p>No permit can leak: it is taken in a before-handler and given back in an after-handler, and
 * Javalin runs the after-handlers of every request whose before-handlers ran, whether the endpoint
 * answered, threw (a 400 or 413 from validation, any other exception) or was never reached. The
 * permit lives on the request and is given back once, even if two patterns match the path.
 */
final class Admission {

    /** The routes that hold client work; {@code /status}, {@code /metrics} and peers are never refused. */
    static final List<String> CLIENT_PATHS = List.of("/kv", "/kv/*", "/sessions", "/debug/*");

    private static final String PERMIT = "raftkv.admission.permit";

    private final int limit;
    private final Semaphore permits;

    Admission(int maxInflightRequests) {
        this.limit = maxInflightRequests;
        this.permits = new Semaphore(maxInflightRequests);
    }

    /** Adds the before- and after-handlers; call before any other before-handler of these paths. */
    void register(JavalinConfig javalin) {
        for (String path : CLIENT_PATHS) {
            javalin.routes.before(path, this::admit);
            javalin.routes.after(path, this::release);
        }
    }

    /** Permits free now (for tests). */
    int available() {
        return permits.availablePermits();
    }

    private void admit(Context ctx) {
        if (ctx.attribute(PERMIT) != null) {
            return; // a second pattern matched this path: one permit per request
        }
        if (!permits.tryAcquire()) {
            throw new ApiException(ErrorCode.OVERLOADED, "this node holds " + limit + " client requests already;"
                    + " nothing was done: retry after the Retry-After delay, or ask another node");
        }
        ctx.attribute(PERMIT, new AtomicBoolean(true));
    }

    private void release(Context ctx) {
        AtomicBoolean held = ctx.attribute(PERMIT);
        if (held != null && held.compareAndSet(true, false)) {
            permits.release();
        }
    }
}
