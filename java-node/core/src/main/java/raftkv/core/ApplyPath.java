package raftkv.core;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * A {@link Driver}'s apply path: Figure 2's "if commitIndex > lastApplied: increment lastApplied,
 * apply log[lastApplied] to state machine (§5.3)", snapshots the leader sent ("8. Reset state machine
 * using snapshot contents", Figure 13), and which proposal waits for which index.
 *
 * <p>A received snapshot is decoded by the {@link SnapshotRestorer}, perhaps on another thread or
 * after a delay. Until it is installed, nothing else reaches the state machine: entries committed
 * meanwhile, and any later snapshot, wait in a queue, in commit order, and are applied once the
 * restore is done ({@link #restored}). So the state machine still sees one sequence: the snapshot,
 * then the entries after it. Meanwhile the Raft node goes on: the snapshot and the log after it are
 * durable already, so it answers AppendEntries and heartbeats as usual; only the applied index lags.
 * Belongs to the driver's thread.
 */
final class ApplyPath<P> {

    /** A client's proposal, appended at its index in {@code term}: it took effect iff that term commits there. */
    private record Pending<P>(long term, Session session, P proposal) {}

    /** What waits for the state machine while a snapshot is being restored. */
    private sealed interface Queued {
        record Entry(LogEntry entry) implements Queued {}

        record Restore(Snapshot snapshot) implements Queued {}
    }

    private final KvStore kv;
    private final Driver.Answers<P, ?> answers;
    private final Driver.Observer observer;
    private final SnapshotRestorer restorer;
    private final TreeMap<Long, List<Pending<P>>> proposals = new TreeMap<>();
    private final ArrayDeque<Queued> queue = new ArrayDeque<>();
    private Snapshot restoring; // the snapshot the restorer holds, or null

    ApplyPath(KvStore kv, Driver.Answers<P, ?> answers, Driver.Observer observer, SnapshotRestorer restorer) {
        this.kv = kv;
        this.answers = answers;
        this.observer = observer;
        this.restorer = restorer;
    }

    /** True while a received snapshot is being restored: the state machine lags the log, reads wait. */
    boolean restoring() {
        return restoring != null;
    }

    /** The snapshot being restored, or null. */
    Snapshot beingRestored() {
        return restoring;
    }

    /** Proposals appended and not yet settled. */
    int proposalsWaiting() {
        return proposals.values().stream().mapToInt(List::size).sum();
    }

    /** {@code proposal} waits for (index, term) to commit. */
    void awaitCommit(long index, long term, Session session, P proposal) {
        proposals.computeIfAbsent(index, i -> new ArrayList<>(1)).add(new Pending<>(term, session, proposal));
    }

    /** The leader's snapshot is durable and the log continues after it: reset the state machine from it. */
    void install(Snapshot snapshot) {
        if (restoring != null) {
            queue.add(new Queued.Restore(snapshot));
        } else {
            startRestore(snapshot);
        }
    }

    /** Entries the core says are committed, in index order. */
    void committed(List<LogEntry> entries) {
        for (LogEntry entry : entries) {
            if (restoring != null) {
                queue.add(new Queued.Entry(entry));
            } else {
                apply(entry);
            }
        }
    }

    /**
     * The restorer decoded {@code snapshot}: install it, then apply what queued up behind it, up to the
     * next snapshot (whose restore starts then) or to the end.
     *
     * @throws IllegalStateException if {@code snapshot} is not the one being restored
     */
    void restored(Snapshot snapshot, RestoredState state) {
        if (restoring == null || snapshot != restoring || state.index() != snapshot.lastIncludedIndex()) {
            throw new IllegalStateException(snapshot + " was not being restored (" + restoring + " was)");
        }
        restoring = null;
        kv.restore(state);
        observer.restored(snapshot);
        // Proposals this node appended at indexes the snapshot replaced will never be applied here.
        var covered = proposals.headMap(snapshot.lastIncludedIndex(), true);
        for (List<Pending<P>> waiting : covered.values()) {
            for (Pending<P> pending : waiting) {
                answers.compactedAway(pending.proposal(), pending.session(), kv);
            }
        }
        covered.clear();
        while (restoring == null && !queue.isEmpty()) {
            switch (queue.poll()) {
                case Queued.Entry queued -> apply(queued.entry());
                case Queued.Restore queued -> startRestore(queued.snapshot());
            }
        }
    }

    private void startRestore(Snapshot snapshot) {
        restoring = snapshot;
        switch (restorer.start(new SnapshotRestorer.Job(snapshot, kv.limits()))) {
            case SnapshotRestorer.Started.Restoring later -> {}
            case SnapshotRestorer.Started.Restored done -> restored(snapshot, done.state());
        }
    }

    private void apply(LogEntry entry) {
        // All servers: "If commitIndex > lastApplied: increment lastApplied, apply log[lastApplied]
        // to state machine (§5.3)" — KvStore refuses anything out of order.
        Result result = kv.apply(entry);
        observer.applied(entry, result);
        List<Pending<P>> waiting = proposals.remove(entry.index());
        if (waiting == null) {
            return; // proposed through another node, or before this process started
        }
        for (Pending<P> pending : waiting) {
            // The proposal took effect iff the entry committed at its index is the one it appended.
            if (pending.term() == entry.term()) {
                answers.applied(pending.proposal(), result);
            } else {
                answers.superseded(pending.proposal(), pending.session(), entry, kv);
            }
        }
    }
}
