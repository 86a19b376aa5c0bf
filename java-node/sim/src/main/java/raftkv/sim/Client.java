package raftkv.sim;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import raftkv.core.Command;
import raftkv.core.Result;
import raftkv.core.Session;
import raftkv.sim.ClientMessage.Answer;
import raftkv.sim.ClientMessage.Call;
import raftkv.sim.ClientMessage.Reply;
import raftkv.sim.ClientMessage.Request;

/**
 * A simulated client: one Jepsen process issuing one operation at a time. A write or cas with a
 * session (clientId, sequence), the same across retries of one operation, applies at most once
 * however many copies reach the log (dissertation §6.3). Under {@link Sessions#HALF} (the
 * simulation's clients) half of them go without a session, as a plain HTTP client's may: enough for a
 * false "not appended" to show within a few hundred seeds. Nothing in the state machine would stop a second copy of it from
 * applying, so the client sends another copy only after a definite "not appended" (NotLeader, or its
 * entry overwritten), never after silence; a node that said "not appended" falsely would let it
 * apply twice, which the linearizability checker sees.
 *
 * <p>Before its first write the client registers its session: it proposes
 * {@link Command.OpenSession} (retried, at any node, until one copy commits) and uses the client id
 * the state machine issued — the index of that entry. Registering is not an operation of the
 * history: it changes nothing a read can see. If the session expires (the state machine refuses a
 * write with {@link Result.SessionExpired}), the client registers a new one before its next write.
 * If the state machine refuses the registration because its session table is full of sessions in
 * use ({@link Result.SessionTableFull}: definite, nothing was registered), the client pauses for
 * {@link #REGISTER_BACKOFF_MS}, as a real one would honour a 429's Retry-After, and registers again.
 *
 * <ul>
 *   <li>a node that is not the leader answers NotLeader: a definite "not appended"; the client
 *       retries at the hinted leader, or at a random node;
 *   <li>an attempt with no answer within {@link #ATTEMPT_TIMEOUT_MS} is retried elsewhere, with the
 *       same session; the lost attempt may still take effect. A write or cas without a session is
 *       not retried: it waits for that attempt's answer or the operation's timeout;
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
    static final long REGISTER_BACKOFF_MS = 100;

    /** Which writes and cas carry a session. */
    enum Sessions {
        /** Every one: the demo's story has a write retried at the new leader after silence. */
        ALWAYS,
        /** Half of them, drawn at random; the others are sent again only after a definite "not appended". */
        HALF
    }

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

        /** Told when the state machine refused this client's session registration: its table was full. */
        void registrationRefused();

        /** Told when the state machine refused this client's write: it would have exceeded the state quota. */
        void quotaRefused();

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

    /** A registration in flight: an OpenSession proposal, retried until one copy commits. */
    private static final class Registering {
        final long opId;
        long lastRequest;

        Registering(long opId) {
            this.opId = opId;
        }
    }

    private final int index;
    private final String home;
    private final World world;
    private final RandomGenerator random;
    private final Supplier<Op> workload;
    private final Sessions sessions;
    private int process;
    private long sequence;
    private long opCount;
    private InFlight current;
    private Registering registering;
    /** The id the state machine issued to this client's session; null until registered. */
    private String clientId;
    private boolean active = true;

    /**
     * @param home the node this client talks to first (Jepsen binds each client to one node)
     * @param workload the next operation, or null when this client has nothing more to do
     * @param sessions which of its writes and cas carry a session
     */
    Client(int index, String home, World world, RandomGenerator random, Supplier<Op> workload, Sessions sessions) {
        this.index = index;
        this.process = index;
        this.home = home;
        this.world = world;
        this.random = random;
        this.workload = workload;
        this.sessions = sessions;
    }

    void start(long thinkMs) {
        world.scheduler().after(thinkMs, new Event.Timer("c" + index + " next op", this::nextOp));
    }

    /** Issue no new operation; the one in flight still completes or times out. */
    void stop() {
        active = false;
    }

    boolean idle() {
        return current == null && registering == null;
    }

    private void nextOp() {
        if (!active || current != null || registering != null) {
            return;
        }
        if (clientId == null) {
            registering = new Registering(++opCount);
            register(home);
            return;
        }
        Op op = workload.get();
        if (op == null) {
            return;
        }
        long opId = ++opCount;
        boolean withoutSession = op.f() == Op.F.READ || (sessions == Sessions.HALF && random.nextBoolean());
        Session session = withoutSession ? null : new Session(clientId, ++sequence);
        current = new InFlight(opId, op, session);
        world.history().add(History.Type.INVOKE, process, op, world.scheduler().now());
        world.scheduler().after(OP_TIMEOUT_MS, new Event.Timer("c" + index + " op timeout", () -> giveUp(opId)));
        attempt(home);
    }

    // ---------------------------------------------------------------- registering the session

    private void register(String node) {
        if (!active) {
            registering = null; // nothing more to do: a session is not needed
            return;
        }
        long requestId = world.nextRequestId();
        long opId = registering.opId;
        registering.lastRequest = requestId;
        Request request = new Request(requestId, index, opId, node, new Call.Propose(new Command.OpenSession(), null));
        world.scheduler().after(world.networkDelay(), new Event.ToNode(request));
        world.scheduler().after(ATTEMPT_TIMEOUT_MS, new Event.Timer("c" + index + " register timeout", () -> {
            if (registering != null && registering.opId == opId && registering.lastRequest == requestId) {
                register(randomNode()); // an unanswered copy may also commit: a session opened in vain
            }
        }));
    }

    private void registered(Reply reply) {
        switch (reply.answer()) {
            case Answer.Done done when done.result() instanceof Result.SessionOpened opened -> {
                clientId = opened.clientId();
                sequence = 0;
                registering = null;
                nextOp();
            }
            case Answer.Done done when done.result() instanceof Result.SessionTableFull -> {
                // §6.3, bounded table: a definite refusal, so this registration is over (a copy of
                // it still in some log may yet open a session, in vain); a new one comes later.
                world.registrationRefused();
                registering = null;
                start(REGISTER_BACKOFF_MS);
            }
            case Answer.NotLeader notLeader -> registerAgain(reply.requestId(), notLeader.leaderHint());
            case Answer.Overwritten overwritten -> registerAgain(reply.requestId(), null);
            default -> throw new IllegalStateException("c" + index + ": unexpected answer to OpenSession: " + reply);
        }
    }

    private void registerAgain(long refusedRequest, String hint) {
        if (refusedRequest != registering.lastRequest) {
            return; // a newer attempt is already on its way
        }
        long opId = registering.opId;
        String target = hint != null ? hint : randomNode();
        world.scheduler().after(BACKOFF_MS, new Event.Timer("c" + index + " register again", () -> {
            if (registering != null && registering.opId == opId) {
                register(target);
            }
        }));
    }

    // ---------------------------------------------------------------- operations

    private void attempt(String node) {
        long requestId = world.nextRequestId();
        current.unresolved.add(requestId);
        current.lastRequest = requestId;
        Call call = current.op.f() == Op.F.READ
                ? new Call.Read(current.op.key())
                : new Call.Propose(current.op.command(), current.session);
        Request request = new Request(requestId, index, current.opId, node, call);
        world.scheduler().after(world.networkDelay(), new Event.ToNode(request));
        long opId = current.opId;
        world.scheduler().after(ATTEMPT_TIMEOUT_MS, new Event.Timer("c" + index + " attempt timeout", () -> {
            if (current != null && current.opId == opId && current.lastRequest == requestId) {
                if (current.session == null && current.op.f() != Op.F.READ) {
                    return; // no answer, no session: another copy might apply twice; wait for this one's fate
                }
                // No answer: the attempt stays unresolved (it may yet take effect); try elsewhere.
                String next = randomNode();
                world.retrying(process, current.op, next, "no answer from " + node + " within " + ATTEMPT_TIMEOUT_MS
                        + " ms");
                attempt(next);
            }
        }));
    }

    void receive(Reply reply) {
        if (registering != null && reply.opId() == registering.opId) {
            registered(reply);
            return;
        }
        if (current == null || reply.opId() != current.opId) {
            return; // a late answer to an operation (or registration) already completed or given up
        }
        switch (reply.answer()) {
            case Answer.Done done -> complete(reply.requestId(), done.result());
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

    private void complete(long requestId, Result result) {
        Op op = current.op;
        switch (result) {
            case Result.Ok ok -> finish(History.Type.OK, op.f() == Op.F.READ ? op.withValue(ok.value()) : op);
            // A read of an absent id is a successful read of nil; a cas on it definitely did nothing.
            case Result.NotFound notFound -> finish(op.f() == Op.F.READ ? History.Type.OK : History.Type.FAIL, op);
            case Result.Mismatch mismatch -> finish(History.Type.FAIL, op);
            // Refused at its place in the log, changing nothing; a retry of the same sequence number
            // is answered this same recorded result (§6.3), so no other copy ever executes.
            case Result.QuotaExceeded exceeded -> {
                world.quotaRefused();
                finish(History.Type.FAIL, op);
            }
            case Result.StaleSession stale -> throw new IllegalStateException(
                    "session " + clientId + " moved past its own operation in flight: " + stale);
            case Result.SessionExpired expired -> {
                // This copy was refused unexecuted; an earlier copy may have executed before the
                // session expired, and any copy still in a log will be refused too.
                current.unresolved.remove(requestId);
                clientId = null; // register again before the next write
                finish(current.unresolved.isEmpty() ? History.Type.FAIL : History.Type.INFO, op);
            }
            case Result.SessionOpened opened -> throw new IllegalStateException(
                    "an operation of c" + index + " opened a session: " + opened);
            case Result.SessionTableFull full -> throw new IllegalStateException(
                    "an operation of c" + index + " was refused as a registration: " + full);
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
