package raftkv.server.http;

import io.javalin.http.Context;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.server.Json;
import raftkv.server.NodeConfig;

/**
 * Admission control: a node holds at most {@code --max-inflight-requests} client requests at once
 * (writes awaiting commit, reads awaiting a read index, requests waiting for a leader or forwarded
 * to it). A request takes a place before anything else is done with it, before its body is read,
 * and gives it back once it is answered, whatever the answer (Javalin's after-handler, and Jetty's
 * completion listener for a request that never reached it: no place can leak).
 *
 * <p>When every place is taken, the request waits for one in a bounded waiting room
 * ({@code --max-waiting-requests}), at most {@code --admission-wait-ms}, its body still unread.
 * Places go first come, first served. This is the backpressure: a client that sends more than the
 * node can commit is slowed down to the node's pace, as a full channel slows a Go sender, instead
 * of being told "no" in a millisecond and sending again at once (a closed-loop client that ignores
 * {@code Retry-After} would then spend the node's CPU on refusals). A request that finds the
 * waiting room full, or waits out its time, is answered {@code 429 overloaded}, definite (nothing
 * was proposed), with {@code Retry-After}.
 *
 * <p>A waiting request holds <em>no thread</em>: this is a Jetty handler in front of Javalin, and a
 * request without a place is parked as a queue entry (its request, response and callback) while
 * the virtual thread that parsed it ends. When a place comes back, the oldest entry is handed to
 * Javalin on a new virtual thread. Parking the thread instead (a semaphore in a Javalin
 * before-handler, as this class first did) kept each waiting request's stack, some 7 KiB deep in
 * Jetty and Javalin: 72 MiB of a 256 MiB heap at 10,000 connections, and the node spent its time
 * in full collections. Jetty's own {@code QoSHandler} works this way too, but resumes requests on
 * the server's few platform threads, where raftkv's blocking handlers would starve each other.
 *
 * <p>Only client requests on the client port are admitted; {@code /status}, {@code /metrics},
 * the dashboard, {@code /admin/*} and the peers pass straight through.
 */
final class Admission extends Handler.Wrapper {

    private static final Logger log = LoggerFactory.getLogger(Admission.class);
    private static final long SWEEP_MILLIS = 20;

    /** The request attribute holding an admitted request's place. */
    static final String PLACE = "raftkv.admission.place";

    /** An admitted request's place, given back once: by Javalin's after-handler, or at the latest on completion. */
    private record Place(int bodyKiB, AtomicBoolean held) {}

    /** One request waiting for a place: all Jetty needs to go on with it later. */
    private record Waiting(Request request, Response response, Callback callback, int bodyKiB, long deadlineNanos) {}

    private final NodeConfig.Limits limits;
    private final ReentrantLock lock = new ReentrantLock(); // not synchronized: virtual threads take it
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>(); // oldest first, guarded by lock
    private int inflight; // guarded by lock
    private int bodyKiBHeld; // guarded by lock
    private ScheduledExecutorService sweeper;

    Admission(NodeConfig.Limits limits) {
        this.limits = limits;
    }

    /** The paths that hold client work. */
    static boolean isClientPath(String path) {
        return path.equals("/kv") || path.startsWith("/kv/") || path.equals("/sessions") || path.startsWith("/debug/");
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!isClientPath(Request.getPathInContext(request)) || onPeerPort(request)) {
            return super.handle(request, response, callback);
        }
        int kib = reservedKiB(request);
        lock.lock();
        try {
            if (waiting.isEmpty() && fits(kib)) { // nobody waits before us: take the place now
                take(kib);
            } else if (waiting.size() < limits.maxWaitingRequests() && limits.admissionWaitMs() > 0) {
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(limits.admissionWaitMs());
                waiting.addLast(new Waiting(request, response, callback, kib, deadline));
                return true; // handled later: by admit() when a place comes back, or by expire()
            } else {
                refuse(response, callback);
                return true;
            }
        } finally {
            lock.unlock();
        }
        return handleAdmitted(request, response, callback, kib);
    }

    private static boolean onPeerPort(Request request) {
        return PeerPortGate.PEER_CONNECTOR.equals(request.getConnectionMetaData().getConnector().getName());
    }

    /**
     * What the request's body may take while it is held: its declared length, or, for a chunked body
     * whose length nobody knows yet, the most a client body may be (64 KiB); at least 1 KiB.
     */
    private static int reservedKiB(Request request) {
        long declared = request.getLength();
        long bytes = declared < 0 || declared > ClientRequests.MAX_BODY_BYTES ? ClientRequests.MAX_BODY_BYTES : declared;
        return (int) Math.max(1, (bytes + 1023) / 1024);
    }

    private boolean fits(int kib) {
        return inflight < limits.maxInflightRequests() && bodyKiBHeld + kib <= limits.maxInflightBodyKiB();
    }

    private void take(int kib) {
        inflight++;
        bodyKiBHeld += kib;
    }

    /**
     * Hands an admitted request on to Javalin. Its place comes back in Javalin's after-handler
     * ({@link #giveBack}), before the answer is sent, so that a client which sends its next request
     * as soon as it has the answer finds the place free; Jetty's completion listener gives it back
     * if no after-handler ran (the request never reached Javalin's routing, or failed before it).
     */
    private boolean handleAdmitted(Request request, Response response, Callback callback, int kib) throws Exception {
        Place place = new Place(kib, new AtomicBoolean(true));
        request.setAttribute(PLACE, place);
        Request.addCompletionListener(request, failure -> giveBack(place));

        boolean handled = super.handle(request, response, callback);
        if (!handled) {
            Response.writeError(request, response, callback, HttpStatus.NOT_FOUND_404);
        }
        return true;
    }

    /** Javalin's after-handler for the client paths: gives the request's place back, once. */
    void giveBack(Context ctx) {
        if (ctx.req().getAttribute(PLACE) instanceof Place place) {
            giveBack(place);
        }
    }

    private void giveBack(Place place) {
        if (place.held().compareAndSet(true, false)) {
            release(place.bodyKiB());
        }
    }

    private void release(int kib) {
        List<Waiting> admitted = new ArrayList<>();
        lock.lock();
        try {
            inflight--;
            bodyKiBHeld -= kib;
            while (!waiting.isEmpty() && fits(waiting.peekFirst().bodyKiB())) {
                Waiting next = waiting.pollFirst();
                take(next.bodyKiB());
                admitted.add(next);
            }
        } finally {
            lock.unlock();
        }
        // A new virtual thread each: the handlers block (awaiting commit), and the thread that gave
        // the place back is finishing another request's exchange.
        admitted.forEach(next -> Thread.ofVirtual().name("http-admitted").start(() -> resume(next)));
    }

    private void resume(Waiting next) {
        try {
            handleAdmitted(next.request(), next.response(), next.callback(), next.bodyKiB());
        } catch (Throwable failure) {
            log.error("admitted request {} failed", next.request().getHttpURI(), failure);
            Response.writeError(next.request(), next.response(), next.callback(), failure);
        }
    }

    /** Refuses the requests that waited out their time; oldest first, so they are at the front. */
    private void expire() {
        List<Waiting> expired = new ArrayList<>();
        long now = System.nanoTime();
        lock.lock();
        try {
            while (!waiting.isEmpty() && now - waiting.peekFirst().deadlineNanos() >= 0) {
                expired.add(waiting.pollFirst());
            }
        } finally {
            lock.unlock();
        }
        expired.forEach(w -> refuse(w.response(), w.callback()));
    }

    /** {@code 429 overloaded}, definite, with {@code Retry-After}; written without blocking. */
    private void refuse(Response response, Callback callback) {
        ApiException e = new ApiException(ErrorCode.OVERLOADED, "this node holds " + limits.maxInflightRequests()
                + " client requests (or " + limits.maxInflightBodyKiB() + " KiB of their bodies) already and "
                + limits.maxWaitingRequests() + " may wait for a place; nothing was done: retry after the"
                + " Retry-After delay, or ask another node");
        byte[] body;
        try {
            body = Json.MAPPER.writeValueAsBytes(e.body());
        } catch (Exception impossible) {
            callback.failed(impossible);
            return;
        }
        response.setStatus(e.code().status());
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
        e.code().retryAfterSeconds().ifPresent(s -> response.getHeaders().put(HttpHeader.RETRY_AFTER, String.valueOf(s)));
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /** Requests holding a place now. */
    int inflight() {
        lock.lock();
        try {
            return inflight;
        } finally {
            lock.unlock();
        }
    }

    /** Requests waiting for a place now. */
    int waiting() {
        lock.lock();
        try {
            return waiting.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    protected void doStart() throws Exception {
        sweeper = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "admission-expiry");
            thread.setDaemon(true);
            return thread;
        });
        sweeper.scheduleWithFixedDelay(() -> {
            try {
                expire();
            } catch (RuntimeException e) { // an exception would end the scheduled sweeps for good
                log.error("expiring waiting requests", e);
            }
        }, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        super.doStart();
    }

    @Override
    protected void doStop() throws Exception {
        sweeper.shutdownNow();
        super.doStop();
    }
}
