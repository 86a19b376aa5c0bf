package raftkv.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects what the next {@link Ready} will carry, and remembers which log entries the driver has
 * already been given to persist. Only {@link RaftNode} and its rule handlers use it, through
 * {@link NodeState}, from the node's single owning thread.
 */
final class Outbox {

    private boolean hardStateChanged;
    private long truncateFrom;
    private long firstUnpersisted;
    private long committedHandedOut;
    private SnapshotChange snapshotChange;
    private final List<Message> messages = new ArrayList<>();
    private final List<ReadState> readStates = new ArrayList<>();
    private final List<Long> droppedReads = new ArrayList<>();
    private final List<ForwardAnswer> forwardAnswers = new ArrayList<>();
    private final List<Long> forwardsUnanswered = new ArrayList<>();

    Outbox(long lastPersistedIndex, long appliedIndex) {
        this.firstUnpersisted = lastPersistedIndex + 1;
        this.committedHandedOut = appliedIndex;
    }

    void hardStateChanged() {
        hardStateChanged = true;
    }

    void send(Message message) {
        messages.add(message);
    }

    List<ReadState> readStates() {
        return readStates;
    }

    List<Long> droppedReads() {
        return droppedReads;
    }

    List<ForwardAnswer> forwardAnswers() {
        return forwardAnswers;
    }

    List<Long> forwardsUnanswered() {
        return forwardsUnanswered;
    }

    /** Entries from {@code index} on were removed from the log; storage must drop them too. */
    void truncated(long index) {
        if (index < firstUnpersisted) {
            // Any earlier truncation in this Ready was at firstUnpersisted or above, so this one covers it.
            truncateFrom = index;
            firstUnpersisted = index;
        }
    }

    /**
     * The node compacted its log up to {@code firstKept}: storage saves the snapshot and drops those
     * entries. Entries before firstKept that were never handed out for persisting never need to be.
     */
    void snapshotTaken(Snapshot snapshot, long firstKept) {
        snapshotChange = new SnapshotChange.Taken(snapshot, firstKept);
        firstUnpersisted = Math.max(firstUnpersisted, firstKept);
    }

    /**
     * The node installed a snapshot from the leader and discarded its whole log: storage discards it
     * too (so no truncation is left to do), and the state machine restarts from the snapshot.
     */
    void snapshotInstalled(Snapshot snapshot) {
        snapshotChange = new SnapshotChange.Installed(snapshot);
        truncateFrom = 0;
        firstUnpersisted = snapshot.lastIncludedIndex() + 1;
        committedHandedOut = snapshot.lastIncludedIndex();
    }

    Ready take(HardState hardState, RaftLog log, long commitIndex) {
        Ready ready = new Ready(
                hardStateChanged ? hardState : null,
                truncateFrom,
                log.slice(firstUnpersisted, log.lastIndex()),
                messages,
                log.slice(committedHandedOut + 1, commitIndex),
                readStates,
                droppedReads,
                snapshotChange,
                forwardAnswers,
                forwardsUnanswered);
        hardStateChanged = false;
        snapshotChange = null;
        truncateFrom = 0;
        firstUnpersisted = log.lastIndex() + 1;
        committedHandedOut = Math.max(committedHandedOut, commitIndex);
        messages.clear();
        readStates.clear();
        droppedReads.clear();
        forwardAnswers.clear();
        forwardsUnanswered.clear();
        return ready;
    }
}
