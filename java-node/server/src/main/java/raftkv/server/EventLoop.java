package raftkv.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.ConfigChange;
import raftkv.core.ConfigChangeResult;
import raftkv.core.Driver;
import raftkv.core.KvStore;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.RaftNode;
import raftkv.core.ReadResult;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Session;
import raftkv.core.Status;
import raftkv.core.TransferResult;
import raftkv.server.transport.StreamTransport;
import raftkv.server.transport.Transport;
import raftkv.storage.DiskStorage;

/**
 * The one thread that owns a node's {@link RaftNode} and {@link KvStore}.
 *
 * <p>Nothing else ever touches the Raft state, so none of it needs a lock. Everyone else talks to
 * this thread by message, on one of two bounded queues: the peers' Raft messages on one, the
 * clients' requests (writes, reads, leadership transfers) on the other. HTTP handlers (on virtual
 * threads) put an event on the client queue and wait on a {@link CompletableFuture} that this
 * thread completes.
 *
 * <p>In Go this would be a goroutine in a {@code select} over a peer channel, a client channel and
 * a {@code time.Ticker} (etcd's raft node keeps proposals and messages on separate channels too).
 * Java has no select over several queues; the {@link LoopInbox} does what a select does underneath:
 * whoever queues an event unparks the loop thread, and the loop, finding both queues empty, parks
 * until its next tick is due ({@link java.util.concurrent.locks.LockSupport}, whose per-thread
 * permit means no wake-up is lost). Unlike Go's select, which picks a ready channel at random, the
 * loop serves peers first.
 *
 * <p>One turn of the loop:
 *
 * <ol>
 *   <li>tick the node if a tick is due (at most one per turn: a late loop must not fire a burst of
 *       ticks, which would start elections too early);
 *   <li>take <em>every</em> queued peer message (at most the peer queue's capacity, so a turn ends)
 *       and {@code step} it: a heartbeat or an acknowledgement never waits behind client work, and
 *       client load cannot make a leader miss its quorum (CheckQuorum, dissertation §6.2);
 *   <li>take the snapshot the {@link SnapshotWriterThread} finished writing, if any: the log is
 *       compacted only now that it is durable (the writer serialized it from a frozen view of the
 *       state machine while this thread went on, dissertation §5.2), and the snapshot from the
 *       leader the {@link SnapshotRestorerThread} finished decoding, if any: it is installed now (in
 *       O(1)), and the entries committed while it was decoded are applied after it;
 *   <li>take a bounded batch of client events: writes to {@code propose}; reads that arrive in the
 *       same turn share one ReadIndex request, since one leadership check covers them all;
 *   <li>let the shared {@link Driver} handle the node's {@code Ready}, in the order its contract
 *       requires: <b>persist</b> (hard state, then the log suffix, one fsync for the whole turn —
 *       group commit), <b>send</b> (hand messages to the transport, which never blocks),
 *       <b>apply</b> committed entries and complete the futures of the proposals they settle, serve
 *       confirmed reads once applied up to their read index, fail dropped reads, then
 *       {@code advance()}. The simulator drives its nodes through the same {@link Driver}.
 * </ol>
 *
 * <p>Each queue has a bound and a defined answer when full. The peer queue holds what the peers
 * can have queued for this node ({@link StreamTransport#QUEUE_CAPACITY} per peer); should it fill
 * anyway, a message is lost, as a network loses one, and Raft sends it again. The client queue is
 * sized above the HTTP layer's admission bound ({@link NodeConfig.Limits}), so an admitted request
 * does not find it full; when it is full, the request is answered "overloaded" at once, with
 * nothing proposed. Client events cannot crowd out peer messages: they never share a queue.
 *
 * <p>A proposal appended at (index, term) succeeds if and only if the entry committed at that index
 * has that term; if another term's entry commits there, this copy never takes effect, and
 * {@link Settlement#superseded} decides what the client hears (superseded, another copy's result, or
 * unknown). Leadership changes need no special handling: whatever this node
 * appended is settled the day its index commits, even if this node is a follower by then.
 *
 * <p>On a follower the same calls work: the core sends a write on to the leader and a read asks it
 * for a read index (core {@code OutgoingForwards}), and the answer comes from this node's own state
 * machine once applied here. A forward the leader never answers is settled as
 * {@link WriteOutcome.ForwardUnanswered} (it may have been appended); a read, dropped.
 *
 * <p>If persisting fails, or the core throws, or anything on this thread throws an {@link Error},
 * the node stops ({@code onFatal}, which ends the process): a node that cannot keep its promises
 * must not go on making them, and a live process whose loop is dead would serve nothing while
 * looking alive to a supervisor.
 */
public final class EventLoop {

    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

    /** Client events taken in one turn at most, so that a turn (and its fsync) stays short. */
    static final int MAX_CLIENT_EVENTS_PER_TURN = 2_000;
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    /** What a client (an HTTP handler) asks of the loop; peer messages go on their own queue. */
    private sealed interface ClientEvent {}

    /** Hand leadership to {@code to}, or to the most up-to-date follower if null (§3.10). */
    private record TransferLeadership(String to, CompletableFuture<TransferResult> reply) implements ClientEvent {}

    private record Propose(Command command, Session session, CompletableFuture<WriteOutcome> reply)
            implements ClientEvent {}

    /** One membership change (§4.1): {@code accepted} says at once what the core did, {@code reply} how it ended. */
    private record ChangeMembers(ConfigChange change, CompletableFuture<ConfigChangeResult> accepted,
            CompletableFuture<WriteOutcome> reply) implements ClientEvent {}

    /** A read to evaluate on the state machine once it is safe to (ReadIndex) — or at once, if local. */
    record Read<T>(Function<KvStore, T> query, CompletableFuture<ReadOutcome<T>> reply, boolean local)
            implements ClientEvent {
        void serve(KvStore kv) {
            reply.complete(new ReadOutcome.Served<>(query.apply(kv)));
        }

        void fail(ReadOutcome<T> outcome) {
            reply.complete(outcome);
        }
    }

    private final Driver<CompletableFuture<WriteOutcome>, List<Read<?>>> driver;
    private final long tickNanos;
    private final Consumer<Throwable> onFatal;
    private final LoopObserver observer;
    private final Thread thread;
    private final LoopInbox<ClientEvent> inbox;
    private final SnapshotWriterThread snapshotWriter;
    private final SnapshotRestorerThread snapshotRestorer;
    private volatile boolean running = true;
    private volatile NodeStatus status;
    /** Told each new latest configuration, on this thread (the transport's peers, the identity table). */
    private volatile Consumer<ClusterConfig> onConfiguration = configuration -> {};

    // Owned by the loop thread.
    private List<Read<?>> readsThisTurn = new ArrayList<>();

    public EventLoop(RaftNode node, DiskStorage storage, Transport transport, long tickMillis,
            Consumer<Throwable> onFatal) {
        this(node, new KvStore(), storage, transport, tickMillis, onFatal, LoopObserver.NONE);
    }

    /** A loop whose client queue fits the default limits ({@link NodeConfig.Limits#DEFAULTS}). */
    public EventLoop(RaftNode node, KvStore kv, DiskStorage storage, Transport transport, long tickMillis,
            Consumer<Throwable> onFatal, LoopObserver observer) {
        this(node, kv, storage, transport, tickMillis, onFatal, observer,
                NodeConfig.Limits.DEFAULTS.clientQueueCapacity());
    }

    /**
     * @param kv the state machine, restored from the snapshot {@code node} restarted from (if any)
     * @param storage where the loop persists, and where its snapshot-writer thread writes snapshots
     * @param observer told what each turn did (metrics); called on the loop thread
     * @param clientQueueCapacity client events queued at most; see {@link NodeConfig.Limits#clientQueueCapacity()}
     */
    public EventLoop(RaftNode node, KvStore kv, DiskStorage storage, Transport transport, long tickMillis,
            Consumer<Throwable> onFatal, LoopObserver observer, int clientQueueCapacity) {
        this.tickNanos = TimeUnit.MILLISECONDS.toNanos(tickMillis);
        this.onFatal = onFatal;
        this.observer = observer;
        this.thread = Thread.ofPlatform().name("raft-loop-" + node.id()).unstarted(this::run);
        // What every peer can have queued for us: their transports hold no more than this each.
        int peers = Math.max(1, node.config().members().size() - 1);
        this.inbox = new LoopInbox<>(thread, StreamTransport.QUEUE_CAPACITY * peers, clientQueueCapacity);
        // Snapshots are serialized and written on a thread of their own; the loop takes the durable
        // snapshot back from its inbox and only then compacts the log.
        this.snapshotWriter = new SnapshotWriterThread(node.id(), storage::writeSnapshot, (snapshot, nanos) -> {
            observer.snapshotWritten(snapshot, nanos);
            inbox.offerSnapshotWritten(snapshot);
        }, onFatal);
        // Snapshots the leader sends are decoded on a thread of their own too: the loop answers
        // heartbeats meanwhile, and installs the decoded state (O(1)) when it comes back.
        this.snapshotRestorer = new SnapshotRestorerThread(node.id(), (snapshot, state, nanos) -> {
            observer.snapshotRestored(snapshot, nanos);
            inbox.offerSnapshotRestored(snapshot, state);
        }, onFatal);
        // Request ids need only be unique within this boot: a forward carries the boot's incarnation,
        // the leader keeps each incarnation's ids apart, and a reply meant for an earlier boot carries
        // that boot's incarnation and is ignored (issue 19). No clock: one that steps back across a
        // restart cannot make this boot's ids look old.
        long firstRequestId = 1;
        this.driver = new Driver<>(node, kv, storage, transport, new LoopReplies(), new LoggingObserver(observer),
                firstRequestId, snapshotWriter, snapshotRestorer);
        publishStatus();
    }

    /** Tells {@code listener} every new latest configuration, on the loop thread; set before {@link #start}. */
    public void onConfiguration(Consumer<ClusterConfig> listener) {
        this.onConfiguration = listener;
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
        if (thread.getState() != Thread.State.NEW) { // else never started
            thread.interrupt();
            if (!thread.join(STOP_TIMEOUT)) {
                throw new IllegalStateException("event loop of " + driver.node().id() + " did not stop within "
                        + STOP_TIMEOUT.toSeconds() + " s (stuck in a write?)");
            }
        }
        snapshotWriter.close(); // a snapshot under way is abandoned, like a crash
        snapshotRestorer.close(); // the received snapshot is durable: a restart restores it
    }

    // ---------------------------------------------------------------- called from any thread

    /**
     * Hands a peer message to the node; false if the peer queue is full (the message is lost, as on
     * a network). Client events never fill this queue.
     */
    public boolean deliver(Message message) {
        return inbox.offerPeerMessage(message);
    }

    /** Peer messages {@link #deliver} could not queue so far: zero unless the peers alone outrun the loop. */
    public long peerMessagesLost() {
        return inbox.peerMessagesLost();
    }

    public CompletableFuture<WriteOutcome> propose(Command command, Session session) {
        CompletableFuture<WriteOutcome> reply = new CompletableFuture<>();
        if (!inbox.offerClientEvent(new Propose(command, session, reply))) {
            reply.complete(new WriteOutcome.Overloaded());
        }
        return reply;
    }

    /**
     * Proposes one membership change (dissertation §4.1). The first future says what the leader did
     * (accepted, not the leader, rejected: definite); if accepted, the second how it ended, as a
     * write's does ({@link WriteOutcome.Applied} once committed).
     */
    public MembershipChange changeMembers(ConfigChange change) {
        MembershipChange pending = new MembershipChange(new CompletableFuture<>(), new CompletableFuture<>());
        if (!inbox.offerClientEvent(new ChangeMembers(change, pending.accepted(), pending.outcome()))) {
            pending.accepted().completeExceptionally(new IllegalStateException("client event queue full"));
        }
        return pending;
    }

    /** The two answers of {@link #changeMembers}. */
    public record MembershipChange(CompletableFuture<ConfigChangeResult> accepted,
            CompletableFuture<WriteOutcome> outcome) {}

    /** Starts a leadership transfer (dissertation §3.10); the future says whether it began. */
    public CompletableFuture<TransferResult> transferLeadership(String to) {
        CompletableFuture<TransferResult> reply = new CompletableFuture<>();
        if (!inbox.offerClientEvent(new TransferLeadership(to, reply))) {
            reply.completeExceptionally(new IllegalStateException("client event queue full"));
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
        if (!inbox.offerClientEvent(new Read<>(query, reply, local))) {
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
                inbox.awaitEventUntil(nextTick);
                if (!running) {
                    return; // stop() interrupted the wait
                }
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    driver.tick();
                    nextTick = Math.max(nextTick + tickNanos, now);
                }
                inbox.takePeerMessages(driver::step); // all of them, and first
                inbox.takeSnapshotWritten(driver::snapshotWritten); // the log is compacted in this turn's Ready
                inbox.takeSnapshotRestored(r -> driver.snapshotRestored(r.snapshot(), r.state()));
                inbox.takeClientEvents(MAX_CLIENT_EVENTS_PER_TURN, this::handle);
                registerReads();
                driver.handleReady();
                publishStatus();
                observer.turnFinished(System.nanoTime() - now);
            }
        } catch (Throwable t) {
            if (!running) {
                return; // stop() interrupted us, perhaps mid-write: like a crash, which the WAL survives
            }
            try {
                log.error("event loop failed; this node stops", t);
            } finally {
                onFatal.accept(t); // even if logging failed (e.g. out of memory)
            }
        }
    }

    private void handle(ClientEvent event) {
        switch (event) {
            case Propose propose -> {
                observer.proposed();
                driver.propose(propose.command(), propose.session(), propose.reply())
                        .ifNotTaken(hint -> propose.reply().complete(new WriteOutcome.NotLeader(hint)));
            }
            case TransferLeadership transfer -> {
                TransferResult result = driver.node().transferLeadership(transfer.to());
                observer.transferRequested(transfer.to(), result);
                transfer.reply().complete(result);
            }
            // Accepted: answered like a write once its entry commits (applied, superseded or unknown).
            case ChangeMembers change -> change.accepted().complete(driver.proposeConfigChange(change.change(),
                    change.reply()));
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

    static <T> void failDropped(Read<T> read) {
        read.fail(new ReadOutcome.Dropped<>());
    }

    private void publishStatus() {
        Status s = driver.node().status();
        NodeStatus previous = status;
        status = new NodeStatus(s.id(), s.role().name().toLowerCase(Locale.ROOT), s.term(), s.leaderId(),
                s.commitIndex(), driver.kv().lastApplied(), s.lastLogIndex(), s.lastLogTerm(), s.matchIndex(),
                s.snapshotIndex(), s.lastLogIndex() - s.firstLogIndex() + 1, driver.kv().size(),
                driver.kv().stateBytes(), driver.kv().quota().maxBytes(), s.configuration(), s.lostData());
        if (previous != null) {
            observer.published(previous, status);
            if (!previous.configuration().equals(status.configuration())) {
                log.info("configuration: {} (§4.1: in force from now on, committed or not)", status.configuration());
                onConfiguration.accept(status.configuration());
            }
        }
        if (previous != null && (!previous.role().equals(status.role()) || previous.term() != status.term()
                || !Objects.equals(previous.leader(), status.leader()))) {
            log.info("term {}: {} (leader {}, commit {}, log {})", status.term(), status.role(), status.leader(),
                    status.commitIndex(), status.lastIndex());
        }
    }
}
