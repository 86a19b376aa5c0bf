package raftkv.core;

import java.io.IOException;
import java.util.List;

/**
 * Drives one {@link RaftNode} and its {@link KvStore} through the {@link Ready} contract: persist →
 * send → apply and answer → advance (a leader's AppendEntries may leave before the persist,
 * §10.2.1). The server's event loop and the simulator both drive their nodes through this one class
 * (as etcd's InteractionEnv drives the real RawNode), so what the simulator checks is the very code
 * the server runs.
 *
 * <p>The driver does no I/O of its own: it writes through a {@link StableStorage}, sends through a
 * {@link Sender}, and hands outcomes to {@link Answers}. It runs the Ready loop; the bookkeeping both
 * callers need is in its parts: which client waits for which log index, and applying, in the
 * {@link ApplyPath}; which forward waits for the leader's answer and which read for its ReadIndex
 * confirmation, in {@link WaitingRequests}; when to take a snapshot, in {@link SnapshotPolicy}.
 * Like the node, it belongs to exactly one thread.
 *
 * @param <P> what the caller needs to answer a proposal (the server: a future; the simulator: a request)
 * @param <R> what the caller needs to answer a read
 */
public final class Driver<P, R> {

    /** Where outcomes go. Called on the driver's thread, during {@link #handleReady()}. */
    public interface Answers<P, R> {

        /** The proposal's own entry committed and was applied with this result. */
        void applied(P proposal, Result result);

        /**
         * Another entry committed at the proposal's index, so this copy of the command will never
         * take effect. {@code kv} is the state machine just after applying {@code committed}, for
         * callers whose command carried a session and may have taken effect through another copy.
         */
        void superseded(P proposal, Session session, LogEntry committed, KvStore kv);

        /**
         * The proposal's index was replaced by a snapshot from the leader before this node applied
         * it: whether this copy took effect is unknown here. {@code kv}, just restored from the
         * snapshot, holds the session table, for callers whose command carried a session.
         */
        void compactedAway(P proposal, Session session, KvStore kv);

        /**
         * This node forwarded the proposal to a node that refused it (it never led the forward's term,
         * or leads it and is handing leadership over, §3.10): nothing was appended, and never will be,
         * so the caller may send the command again. {@code leaderHint} may be null.
         */
        void forwardRefused(P proposal, String leaderHint);

        /**
         * This node forwarded the proposal to the leader and will not learn where it was appended (no
         * answer in time, or the leader changed first, or the entry was applied here before the answer
         * came): it may have taken effect. {@code kv} holds the session table, for callers whose
         * command carried a session.
         */
        void forwardUnanswered(P proposal, Session session, KvStore kv);

        /** The read's ReadIndex was confirmed and applied (§6.4): evaluate it on {@code kv} now. */
        void serveRead(R read, KvStore kv);

        /** Leadership was lost before the read was confirmed; the read had no effect. */
        void readDropped(R read);
    }

    /** Hooks for checkers (the simulator's invariants); the server needs none. */
    public interface Observer {
        Observer NONE = new Observer() {};

        /**
         * The Ready's persistent part is durable; of its messages only the leader's AppendEntries
         * may have left (§10.2.1), nothing that promises what this node holds.
         */
        default void persisted(Ready ready) {}

        /**
         * The state machine was reset from a snapshot the leader sent (InstallSnapshot), once the
         * {@link SnapshotRestorer} had decoded it; entries committed meanwhile are applied next.
         */
        default void restored(Snapshot snapshot) {}

        /** A committed entry was applied to the state machine. */
        default void applied(LogEntry entry, Result result) {}

        /** A whole Ready was handled and the node advanced. */
        default void advanced() {}

        /**
         * This node starts taking a snapshot (§5.1): its state machine was frozen at {@code index} and
         * handed to the {@link SnapshotWriter}. {@link #snapshotSaved} follows once the snapshot is
         * durable; the pair lets an onlooker with a clock time it (the core has none).
         */
        default void snapshotStarted(long index) {}

        /**
         * The snapshot this node took is durable and back on the driver's thread; the core compacts
         * its log before it next (unless a newer snapshot was installed meanwhile).
         */
        default void snapshotSaved(Snapshot snapshot) {}
    }

    private final RaftNode node;
    private final KvStore kv;
    private final StableStorage storage;
    private final Sender sender;
    private final Answers<P, R> answers;
    private final Observer observer;
    private final SnapshotPolicy snapshots;
    private final ApplyPath<P> applyPath;
    private final WaitingRequests<P, R> requests;

    /**
     * For tests: request ids from 1 (never restarted), snapshots written at once
     * ({@link SnapshotWriter#IN_MEMORY}) and received ones restored at once ({@link SnapshotRestorer#IN_PLACE}).
     */
    public Driver(RaftNode node, KvStore kv, StableStorage storage, Sender sender, Answers<P, R> answers,
            Observer observer) {
        this(node, kv, storage, sender, answers, observer, 1, SnapshotWriter.IN_MEMORY, SnapshotRestorer.IN_PLACE);
    }

    /**
     * @param firstRequestId the first id this driver gives a read or a forwarded proposal; ids grow from
     *     there. They need to be unique within this boot only: the node's forwards also carry its
     *     incarnation, a random number per boot ({@link RaftNode#restart(RaftConfig, HardState,
     *     java.util.Optional, List, java.util.random.RandomGenerator, SnapshotSink, long)}), which keeps
     *     them apart from an earlier boot's. The simulator starts every boot from 1.
     * @param snapshotWriter who writes the snapshots (the server: its snapshot-writer thread)
     * @param snapshotRestorer who decodes the snapshots the leader sends (the server: its
     *     snapshot-restorer thread)
     */
    public Driver(RaftNode node, KvStore kv, StableStorage storage, Sender sender, Answers<P, R> answers,
            Observer observer, long firstRequestId, SnapshotWriter snapshotWriter, SnapshotRestorer snapshotRestorer) {
        this.snapshots = new SnapshotPolicy(node, kv, snapshotWriter, observer);
        this.applyPath = new ApplyPath<>(kv, answers, observer, snapshotRestorer);
        this.requests = new WaitingRequests<>(kv, answers, applyPath, firstRequestId);
        this.node = node;
        this.kv = kv;
        this.storage = storage;
        this.sender = sender;
        this.answers = answers;
        this.observer = observer;
    }

    public RaftNode node() {
        return node;
    }

    public KvStore kv() {
        return kv;
    }

    /** Proposals appended and not yet settled (waiting for their index to commit). */
    public int proposalsWaiting() {
        return applyPath.proposalsWaiting();
    }

    /** Proposals forwarded to the leader that have not yet learnt where they were appended. */
    public int forwardsWaiting() {
        return requests.forwardsWaiting();
    }

    /** The index of the snapshot the {@link SnapshotWriter} is writing, or 0 if none. */
    public long snapshotBeingWritten() {
        return snapshots.beingWritten();
    }

    /**
     * The snapshot from the leader the {@link SnapshotRestorer} is decoding, or null: until it is
     * installed, committed entries wait and no read is served.
     */
    public Snapshot snapshotBeingRestored() {
        return applyPath.beingRestored();
    }

    /** Reads registered and not yet served or dropped. */
    public int readsWaiting() {
        return requests.readsWaiting();
    }

    // ---------------------------------------------------------------- inputs (call handleReady() after)

    public void tick() {
        node.tick();
    }

    public void step(Message message) {
        node.step(message);
    }

    /**
     * Proposes a client command. If it was appended here, or forwarded to the leader, {@code proposal}
     * is answered later (once its index commits, or as the forward settles); if this node knows no
     * leader or is handing leadership over, nothing was appended and the caller answers.
     */
    public ProposalResult propose(Command command, Session session, P proposal) {
        ProposalResult result = node.proposeOrForward(command, session, requests.nextId());
        switch (result) {
            case ProposalResult.Appended appended ->
                    applyPath.awaitCommit(appended.index(), appended.term(), session, proposal);
            case ProposalResult.Forwarded forwarded -> requests.forwarded(forwarded.proposalId(), session, proposal);
            case ProposalResult.NotLeader notLeader -> {}
            case ProposalResult.TransferringLeadership transfer -> {}
        }
        return result;
    }

    /**
     * Proposes one membership change (dissertation §4.1) on the leader ({@link RaftNode#proposeConfigChange}).
     * If it was {@link ConfigChangeResult.Accepted accepted}, {@code proposal} is answered like a client's
     * command once its entry's index commits: {@link Answers#applied} (the change is permanent; the new
     * configuration is {@link RaftNode#configuration()} or later), {@link Answers#superseded} (another
     * entry committed there: the change never happened) or {@link Answers#compactedAway} (unknown here).
     * Otherwise nothing was appended and the caller answers from the result.
     */
    public ConfigChangeResult proposeConfigChange(ConfigChange change, P proposal) {
        ConfigChangeResult result = node.proposeConfigChange(change);
        if (result instanceof ConfigChangeResult.Accepted accepted) {
            applyPath.awaitCommit(accepted.index(), accepted.term(), null, proposal);
        }
        return result;
    }

    /**
     * Asks for a linearizable read (§6.4), of the leader's read index if this node is a follower. If
     * it was registered, {@code read} is served or dropped later; if this node knows no leader, the
     * caller answers.
     */
    public ReadResult read(R read) {
        long requestId = requests.nextId();
        ReadResult result = node.readOrForward(requestId);
        if (result instanceof ReadResult.Registered) {
            requests.registered(requestId, read);
        }
        return result;
    }

    // ---------------------------------------------------------------- the Ready loop

    /** Handles Readys until the node has nothing more to say (advancing may commit more entries). */
    public void handleReady() throws IOException {
        while (true) {
            Ready ready = node.ready();
            if (ready.isEmpty()) {
                node.advance();
                return;
            }
            // 1. The leader's AppendEntries and InstallSnapshot promise nothing about its own log, so
            // the leader may write to its disk in parallel with replicating to its followers
            // (dissertation §10.2.1); it counts itself towards a majority only up to what advance()
            // says is durable.
            List<Message> promiseNothing = ready.messages().stream().filter(Driver::promisesNothingDurable).toList();
            sender.send(promiseNothing);
            // 2. Persist: "updated on stable storage before responding to RPCs" (Figure 2). A snapshot
            // goes first: the log changes of the same Ready continue after it.
            switch (ready.snapshot()) {
                case null -> {}
                case SnapshotChange.Taken taken -> storage.saveSnapshot(taken.snapshot(), taken.firstKeptIndex());
                case SnapshotChange.Installed installed -> storage.installSnapshot(installed.snapshot());
            }
            if (ready.mustPersist()) {
                storage.persist(ready.hardState(), ready.truncateFrom(), ready.entriesToAppend());
            }
            observer.persisted(ready);
            // 3. Send the rest: only now may votes and acknowledgements leave the node.
            sender.send(promiseNothing.size() == ready.messages().size() ? List.of()
                    : ready.messages().stream().filter(m -> !promisesNothingDurable(m)).toList());
            // 4. Apply committed entries in order, then answer what the applied state allows. A
            // snapshot from the leader is restored by the SnapshotRestorer (its decoding may take a
            // while, elsewhere): the entries committed after it wait for it in the ApplyPath.
            if (ready.snapshot() instanceof SnapshotChange.Installed installed) {
                applyPath.install(installed.snapshot());
            }
            requests.settleForwards(ready);
            applyPath.committed(ready.committedEntries());
            requests.confirmed(ready.readStates());
            requests.serveAppliedReads();
            requests.dropped(ready.droppedReads());
            // 5. Tell the core all of the above is done.
            node.advance();
            observer.advanced();
            if (!applyPath.restoring()) { // a state machine that lags its log is no snapshot of it
                snapshots.maybeStart();
            }
        }
    }

    /**
     * The {@link SnapshotWriter} made its snapshot durable: the state machine takes back the entries
     * applied meanwhile, and the core compacts its log unless a newer snapshot was installed
     * meanwhile. Call on the driver's thread, then {@link #handleReady()}.
     *
     * @throws IllegalStateException if {@code snapshot} is not the one being written
     */
    public void snapshotWritten(Snapshot snapshot) {
        snapshots.written(snapshot);
    }

    /**
     * The {@link SnapshotRestorer} decoded {@code snapshot}, a snapshot from the leader: "8. Reset
     * state machine using snapshot contents" (InstallSnapshot receiver, Figure 13) now, in O(1), then
     * apply the entries committed meanwhile and serve the reads they allow. Call on the driver's
     * thread, then {@link #handleReady()}.
     *
     * @throws IllegalStateException if {@code snapshot} is not the one being restored
     */
    public void snapshotRestored(Snapshot snapshot, RestoredState state) {
        applyPath.restored(snapshot, state);
        requests.serveAppliedReads();
    }

    /**
     * Only a leader sends AppendEntries and InstallSnapshot, and its term and vote were durable
     * before it could win (its RequestVotes waited for them). Forwarded requests and the leader's
     * answers to them (where it appended, its commit index) promise nothing about this node's disk
     * either: an appended entry that is lost in a crash is superseded at its index like any other.
     * Replies and votes promise what this node holds: they wait.
     */
    private static boolean promisesNothingDurable(Message message) {
        return switch (message) {
            case Message.AppendEntries m -> true;
            case Message.InstallSnapshot m -> true;
            case Message.ForwardedProposal m -> true;
            case Message.ForwardedProposalReply m -> true;
            case Message.ReadIndexRequest m -> true;
            case Message.ReadIndexReply m -> true;
            default -> false;
        };
    }
}
