package raftkv.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.Command;
import raftkv.core.Driver;
import raftkv.core.KvStore;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.ProposalResult;
import raftkv.core.RaftNode;
import raftkv.core.ReadResult;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Session;
import raftkv.core.Snapshot;
import raftkv.core.StableStorage;
import raftkv.core.Status;
import raftkv.core.TransferResult;
import raftkv.server.transport.Transport;

/**
 * The one thread that owns a node's {@link RaftNode} and {@link KvStore}.
 *
 * <p>Nothing else ever touches the Raft state, so none of it needs a lock. Everyone else talks to
 * this thread by message: HTTP handlers (on virtual threads) put an event on a bounded
 * {@link BlockingQueue} and wait on a {@link CompletableFuture} that this thread completes. In Go
 * this would be a goroutine with a {@code select} over an events channel and a {@code time.Ticker};
 * here the queue is the channel, the future is a one-shot reply channel, and the ticker is the
 * timeout of {@link BlockingQueue#poll}: each turn waits for an event at most until the next tick is
 * due. (etcd's raft node is built the same way.)
 *
 * <p>One turn of the loop:
 *
 * <ol>
 *   <li>tick the node if a tick is due (at most one per turn: a late loop must not fire a burst of
 *       ticks, which would start elections too early);
 *   <li>take every queued event (up to a bound) and feed it to the node: peer messages to
 *       {@code step}, writes to {@code propose}; reads that arrive in the same turn share one
 *       ReadIndex request, since one leadership check covers them all;
 *   <li>let the shared {@link Driver} handle the node's {@code Ready}, in the order its contract
 *       requires: <b>persist</b> (hard state, then the log suffix, one fsync for the whole turn —
 *       group commit), <b>send</b> (hand messages to the transport, which never blocks),
 *       <b>apply</b> committed entries and complete the futures of the proposals they settle, serve
 *       confirmed reads once applied up to their read index, fail dropped reads, then
 *       {@code advance()}. The simulator drives its nodes through the same {@link Driver}.
 * </ol>
 *
 * <p>A proposal appended at (index, term) succeeds if and only if the entry committed at that index
 * has that term; if another term's entry commits there, this copy never takes effect, and
 * {@link Settlement#superseded} decides what the client hears (superseded, another copy's result, or
 * unknown). Leadership changes need no special handling: whatever this node
 * appended is settled the day its index commits, even if this node is a follower by then.
 *
 * <p>On a follower the same calls work: the core sends a write on to the leader and a read asks it
 * for a read index (core {@code Forwarding}), and the answer comes from this node's own state
 * machine once applied here. A forward the leader never answers is settled as
 * {@link WriteOutcome.ForwardUnanswered} (it may have been appended); a read, dropped.
 *
 * <p>If persisting fails, or the core throws, the node stops ({@code onFatal}): a node that cannot
 * keep its promises must not go on making them.
 */
public final class EventLoop {

    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

    static final int QUEUE_CAPACITY = 10_000;
    static final int MAX_EVENTS_PER_TURN = 2_000;
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private sealed interface Event {}

    private record Deliver(Message message) implements Event {}

    /** Hand leadership to {@code to}, or to the most up-to-date follower if null (§3.10). */
    private record TransferLeadership(String to, CompletableFuture<TransferResult> reply) implements Event {}

    private record Propose(Command command, Session session, CompletableFuture<WriteOutcome> reply)
            implements Event {}

    /** A read to evaluate on the state machine once it is safe to (ReadIndex) — or at once, if local. */
    private record Read<T>(Function<KvStore, T> query, CompletableFuture<ReadOutcome<T>> reply, boolean local)
            implements Event {
        void serve(KvStore kv) {
            reply.complete(new ReadOutcome.Served<>(query.apply(kv)));
        }

        void fail(ReadOutcome<T> outcome) {
            reply.complete(outcome);
        }
    }

    /** Hands the driver's steps to the loop's observer (metrics) and logs an installed snapshot. */
    private record LoggingObserver(LoopObserver observer) implements Driver.Observer {
        @Override
        public void persisted(Ready ready) {
            observer.persisted(ready);
        }

        @Override
        public void restored(Snapshot snapshot) {
            log.info("installed {} from the leader (InstallSnapshot); the state machine restarts from it", snapshot);
            observer.restored(snapshot);
        }

        @Override
        public void applied(LogEntry entry, Result result) {
            observer.applied(entry, result);
        }

        @Override
        public void advanced() {
            observer.advanced();
        }
    }

    /** How the driver's outcomes reach the waiting HTTP handlers: by completing their futures. */
    private static final class Replies implements Driver.Answers<CompletableFuture<WriteOutcome>, List<Read<?>>> {
        @Override
        public void applied(CompletableFuture<WriteOutcome> reply, Result result) {
            reply.complete(new WriteOutcome.Applied(result));
        }

        @Override
        public void superseded(CompletableFuture<WriteOutcome> reply, Session session, LogEntry committed,
                KvStore kv) {
            reply.complete(Settlement.superseded(session, kv));
        }

        @Override
        public void compactedAway(CompletableFuture<WriteOutcome> reply, Session session, KvStore kv) {
            // A snapshot from the new leader replaced this write's index before it was applied here:
            // with a session, the restored session table may still say it executed.
            reply.complete(session == null ? new WriteOutcome.OutcomeUnknown() : Settlement.superseded(session, kv));
        }

        @Override
        public void forwardRefused(CompletableFuture<WriteOutcome> reply, String leaderHint) {
            reply.complete(new WriteOutcome.NotLeader(leaderHint));
        }

        @Override
        public void forwardUnanswered(CompletableFuture<WriteOutcome> reply, Session session, KvStore kv) {
            // With a session, the table may already say it executed (and with which result).
            reply.complete(session != null && Settlement.superseded(session, kv) instanceof WriteOutcome.Applied a
                    ? a : new WriteOutcome.ForwardUnanswered());
        }

        @Override
        public void serveRead(List<Read<?>> reads, KvStore kv) {
            reads.forEach(read -> read.serve(kv));
        }

        @Override
        public void readDropped(List<Read<?>> reads) {
            reads.forEach(EventLoop::failDropped);
        }
    }

    private final Driver<CompletableFuture<WriteOutcome>, List<Read<?>>> driver;
    private final long tickNanos;
    private final Consumer<Throwable> onFatal;
    private final LoopObserver observer;
    private final BlockingQueue<Event> events = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;
    private volatile boolean running = true;
    private volatile NodeStatus status;

    // Owned by the loop thread.
    private List<Read<?>> readsThisTurn = new ArrayList<>();

    public EventLoop(RaftNode node, StableStorage storage, Transport transport, long tickMillis,
            Consumer<Throwable> onFatal) {
        this(node, new KvStore(), storage, transport, tickMillis, onFatal, LoopObserver.NONE);
    }

    /**
     * @param kv the state machine, restored from the snapshot {@code node} restarted from (if any)
     * @param observer told what each turn did (metrics); called on the loop thread
     */
    public EventLoop(RaftNode node, KvStore kv, StableStorage storage, Transport transport, long tickMillis,
            Consumer<Throwable> onFatal, LoopObserver observer) {
        // Request ids travel to the leader in forwards: starting from the boot time keeps them apart
        // from any earlier run's, whose replies may still be on their way.
        long firstRequestId = TimeUnit.MILLISECONDS.toMicros(System.currentTimeMillis());
        this.driver = new Driver<>(node, kv, storage, transport, new Replies(), new LoggingObserver(observer),
                firstRequestId);
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMillis);
        this.onFatal = onFatal;
        this.observer = observer;
        this.thread = Thread.ofPlatform().name("raft-loop-" + node.id()).unstarted(this::run);
        publishStatus();
    }

    public void start() {
        thread.start();
    }

    /**
     * Stops the loop and waits for it (at most {@link #STOP_TIMEOUT}); pending requests are left to
     * their callers' timeouts.
     */
    public void stop() throws InterruptedException {
        running = false;
        if (thread.getState() == Thread.State.NEW) {
            return; // never started
        }
        thread.interrupt();
        if (!thread.join(STOP_TIMEOUT)) {
            throw new IllegalStateException("event loop of " + driver.node().id() + " did not stop within "
                    + STOP_TIMEOUT.toSeconds() + " s (stuck in a write?)");
        }
    }

    // ---------------------------------------------------------------- called from any thread

    /** Hands a peer message to the node; false if the queue is full (the message is lost). */
    public boolean deliver(Message message) {
        return events.offer(new Deliver(message));
    }

    public CompletableFuture<WriteOutcome> propose(Command command, Session session) {
        CompletableFuture<WriteOutcome> reply = new CompletableFuture<>();
        if (!events.offer(new Propose(command, session, reply))) {
            reply.complete(new WriteOutcome.Overloaded());
        }
        return reply;
    }

    /** Starts a leadership transfer (dissertation §3.10); the future says whether it began. */
    public CompletableFuture<TransferResult> transferLeadership(String to) {
        CompletableFuture<TransferResult> reply = new CompletableFuture<>();
        if (!events.offer(new TransferLeadership(to, reply))) {
            reply.completeExceptionally(new IllegalStateException("event queue full"));
        }
        return reply;
    }

    /** A linearizable read: {@code query} runs on this thread once ReadIndex says it is safe. */
    public <T> CompletableFuture<ReadOutcome<T>> read(Function<KvStore, T> query) {
        return enqueueRead(query, false);
    }

    /** Runs {@code query} on this node's state as it is now: NOT linearizable (debugging, tests). */
    public <T> CompletableFuture<ReadOutcome<T>> readLocal(Function<KvStore, T> query) {
        return enqueueRead(query, true);
    }

    private <T> CompletableFuture<ReadOutcome<T>> enqueueRead(Function<KvStore, T> query, boolean local) {
        CompletableFuture<ReadOutcome<T>> reply = new CompletableFuture<>();
        if (!events.offer(new Read<>(query, reply, local))) {
            reply.complete(new ReadOutcome.Overloaded<>());
        }
        return reply;
    }

    /** The node's state as of the end of the last turn; never blocks. */
    public NodeStatus status() {
        return status;
    }

    // ---------------------------------------------------------------- the loop thread

    private void run() {
        long nextTick = System.nanoTime() + tickNanos;
        try {
            while (running) {
                Event first = events.poll(Math.max(0, nextTick - System.nanoTime()), TimeUnit.NANOSECONDS);
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    driver.tick();
                    nextTick = Math.max(nextTick + tickNanos, now);
                }
                if (first != null) {
                    handle(first);
                    Event next;
                    for (int n = 1; n < MAX_EVENTS_PER_TURN && (next = events.poll()) != null; n++) {
                        handle(next);
                    }
                }
                registerReads();
                driver.handleReady();
                publishStatus();
                observer.turnFinished(System.nanoTime() - now);
            }
        } catch (Throwable t) {
            if (!running) {
                return; // stop() interrupted us, perhaps mid-write: like a crash, which the WAL survives
            }
            log.error("event loop failed; this node stops", t);
            onFatal.accept(t);
        }
    }

    private void handle(Event event) {
        switch (event) {
            case Deliver deliver -> driver.step(deliver.message());
            case Propose propose -> {
                observer.proposed();
                switch (driver.propose(propose.command(), propose.session(), propose.reply())) {
                    case ProposalResult.NotLeader notLeader ->
                            propose.reply().complete(new WriteOutcome.NotLeader(notLeader.leaderHint()));
                    // Nothing appended: the request goes to the transferee, and waits there until it leads.
                    case ProposalResult.TransferringLeadership transfer ->
                            propose.reply().complete(new WriteOutcome.NotLeader(transfer.transferee()));
                    case ProposalResult.Appended appended -> {}
                    // Sent on to the leader over the peer stream; answered here once applied here.
                    case ProposalResult.Forwarded forwarded -> {}
                }
            }
            case TransferLeadership transfer -> transfer.reply().complete(driver.node().transferLeadership(transfer.to()));
            case Read<?> read when read.local() -> read.serve(driver.kv());
            case Read<?> read -> readsThisTurn.add(read);
        }
    }

    /** One ReadIndex request for every read that arrived this turn (dissertation §6.4). */
    private void registerReads() {
        if (readsThisTurn.isEmpty()) {
            return;
        }
        List<Read<?>> batch = readsThisTurn;
        readsThisTurn = new ArrayList<>();
        if (driver.read(batch) instanceof ReadResult.NotLeader notLeader) {
            batch.forEach(r -> failNotLeader(r, notLeader.leaderHint()));
        } else {
            observer.readIndexRound(batch.size());
        }
    }

    private static <T> void failNotLeader(Read<T> read, String hint) {
        read.fail(new ReadOutcome.NotLeader<>(hint));
    }

    private static <T> void failDropped(Read<T> read) {
        read.fail(new ReadOutcome.Dropped<>());
    }

    private void publishStatus() {
        Status s = driver.node().status();
        NodeStatus previous = status;
        status = new NodeStatus(s.id(), s.role().name().toLowerCase(Locale.ROOT), s.term(), s.leaderId(),
                s.commitIndex(), driver.kv().lastApplied(), s.lastLogIndex(), s.lastLogTerm(), s.matchIndex(),
                s.snapshotIndex(), s.lastLogIndex() - s.firstLogIndex() + 1);
        if (previous != null) {
            observer.published(previous, status);
        }
        if (previous != null && (!previous.role().equals(status.role()) || previous.term() != status.term()
                || !Objects.equals(previous.leader(), status.leader()))) {
            log.info("term {}: {} (leader {}, commit {}, log {})", status.term(), status.role(), status.leader(),
                    status.commitIndex(), status.logSize());
        }
    }
}
