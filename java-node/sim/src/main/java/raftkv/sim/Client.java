package raftkv.sim;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import raftkv.core.Result;
import raftkv.core.Session;
import raftkv.sim.ClientMessage.Answer;
import raftkv.sim.ClientMessage.Reply;
import raftkv.sim.ClientMessage.Request;

/**
 * A simulated client: one Jepsen process issuing one operation at a time. Writes and cas carry a
 * session (clientId, sequence) that stays the same across retries of one operation, so however
 * many copies reach the log it applies at most once (dissertation §6.3).
 *
 * <ul>
 *   <li>a node that is not the leader answers NotLeader: a definite "not appended"; the client
 *       retries at the hinted leader, or at a random node;
 *   <li>an attempt with no answer within {@link #ATTEMPT_TIMEOUT_MS} is retried elsewhere, with the
 *       same session; the lost attempt may still take effect;
 *   <li>at {@link #OP_TIMEOUT_MS} the client gives up: a read is {@code :fail} (it changed
 *       nothing), a write or cas is {@code :info} if some attempt may still be in a log, and
 *       {@code :fail} if every attempt was definitely refused. After an {@code :info} the process
 *       id changes (Jepsen: a process with an op in limbo is replaced).
 * </ul>
 */
final class Client {

    static final long ATTEMPT_TIMEOUT_MS = 150;
    static final long OP_TIMEOUT_MS = 1_000;
    static final long BACKOFF_MS = 10;

    /** What the client needs from the simulation. */
    interface World {
        Scheduler scheduler();

        long networkDelay();

        long nextRequestId();

        History history();

        List<String> nodes();

        /** Number of client processes: a replaced process takes the id {@code process + clientCount}. */
        int clientCount();

        /** Told about every completed operation (the demo narrates them). */
        void completed(int process, Op op, History.Type type);

        /** Told about every retry, and why. */
        void retrying(int process, Op op, String node, String why);
    }

    /** The operation in flight. Its attempts not definitely refused may still take effect. */
    private static final class InFlight {
        final long opId;
        final Op op;
        final Session session;
        final Set<Long> unresolved = new HashSet<>();
        long lastRequest;

        InFlight(long opId, Op op, Session session) {
            this.opId = opId;
            this.op = op;
            this.session = session;
        }
    }

    private final int index;
    private final String home;
    private final World world;
    private final RandomGenerator random;
    private final Supplier<Op> workload;
    private int process;
    private long sequence;
    private long opCount;
    private InFlight current;
    private boolean active = true;

    /**
     * @param home the node this client talks to first (Jepsen binds each client to one node)
     * @param workload the next operation, or null when this client has nothing more to do
     */
    Client(int index, String home, World world, RandomGenerator random, Supplier<Op> workload) {
        this.index = index;
        this.process = index;
        this.home = home;
        this.world = world;
        this.random = random;
        this.workload = workload;
    }

    void start(long thinkMs) {
        world.scheduler().after(thinkMs, new Event.Timer("c" + index + " next op", this::nextOp));
    }

    /** Issue no new operation; the one in flight still completes or times out. */
    void stop() {
        active = false;
    }

    boolean idle() {
        return current == null;
    }

    private void nextOp() {
        if (!active || current != null) {
            return;
        }
        Op op = workload.get();
        if (op == null) {
            return;
        }
        long opId = ++opCount;
        Session session = op.f() == Op.F.READ ? null : new Session("c" + index, ++sequence);
        current = new InFlight(opId, op, session);
        world.history().add(History.Type.INVOKE, process, op, world.scheduler().now());
        world.scheduler().after(OP_TIMEOUT_MS, new Event.Timer("c" + index + " op timeout", () -> giveUp(opId)));
        attempt(home);
    }

    private void attempt(String node) {
        long requestId = world.nextRequestId();
        current.unresolved.add(requestId);
        current.lastRequest = requestId;
        Request request = new Request(requestId, index, current.opId, node, current.op, current.session);
        world.scheduler().after(world.networkDelay(), new Event.ToNode(request));
        long opId = current.opId;
        world.scheduler().after(ATTEMPT_TIMEOUT_MS, new Event.Timer("c" + index + " attempt timeout", () -> {
            if (current != null && current.opId == opId && current.lastRequest == requestId) {
                // No answer: the attempt stays unresolved (it may yet take effect); try elsewhere.
                String next = randomNode();
                world.retrying(process, current.op, next, "no answer from " + node + " within " + ATTEMPT_TIMEOUT_MS
                        + " ms");
                attempt(next);
            }
        }));
    }

    void receive(Reply reply) {
        if (current == null || reply.opId() != current.opId) {
            return; // a late answer to an operation already completed or given up
        }
        switch (reply.answer()) {
            case Answer.Done done -> complete(done.result());
            case Answer.ReadDropped dropped -> finish(History.Type.FAIL, current.op);
            case Answer.NotLeader notLeader -> retry(reply.requestId(), notLeader.leaderHint(), "not the leader");
            case Answer.Overwritten overwritten -> retry(reply.requestId(), null, "its entry was overwritten");
        }
    }

    private void retry(long refusedRequest, String hint, String why) {
        current.unresolved.remove(refusedRequest); // this copy definitely never takes effect
        if (refusedRequest != current.lastRequest) {
            return; // a newer attempt is already on its way
        }
        long opId = current.opId;
        String target = hint != null ? hint : randomNode();
        world.retrying(process, current.op, target, why);
        world.scheduler().after(BACKOFF_MS, new Event.Timer("c" + index + " retry", () -> {
            if (current != null && current.opId == opId) {
                attempt(target);
            }
        }));
    }

    private void complete(Result result) {
        Op op = current.op;
        switch (result) {
            case Result.Ok ok -> finish(History.Type.OK, op.f() == Op.F.READ ? op.withValue(ok.value()) : op);
            // A read of an absent id is a successful read of nil; a cas on it definitely did nothing.
            case Result.NotFound notFound -> finish(op.f() == Op.F.READ ? History.Type.OK : History.Type.FAIL, op);
            case Result.Mismatch mismatch -> finish(History.Type.FAIL, op);
            case Result.StaleSession stale -> throw new IllegalStateException(
                    "session c" + index + " moved past its own operation in flight: " + stale);
        }
    }

    private void giveUp(long opId) {
        if (current == null || current.opId != opId) {
            return;
        }
        boolean mayHappen = current.op.f() != Op.F.READ && !current.unresolved.isEmpty();
        finish(mayHappen ? History.Type.INFO : History.Type.FAIL, current.op);
    }

    private void finish(History.Type type, Op op) {
        world.history().add(type, process, op, world.scheduler().now());
        world.completed(process, op, type);
        current = null;
        if (type == History.Type.INFO) {
            process += world.clientCount();
        }
        start(random.nextLong(20));
    }

    private String randomNode() {
        List<String> nodes = world.nodes();
        return nodes.get(random.nextInt(nodes.size()));
    }
}
