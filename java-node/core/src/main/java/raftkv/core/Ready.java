package raftkv.core;

import java.util.List;

/**
 * Everything the core asks its driver to do, collected since the previous {@link RaftNode#ready()}
 * (the etcd-io/raft "Ready" idea). The driver must act on it in this order:
 *
 * <ol>
 *   <li><b>persist</b>: {@link #hardState()} if not null, then {@link #snapshot()} if not null (save
 *       the snapshot and cut the log as it says), then drop every log entry at index
 *       {@code >= truncateFrom} if {@code truncateFrom > 0}, then append {@link #entriesToAppend()}
 *       — and make it durable (fsync) before the next step;
 *   <li><b>send</b> {@link #messages()} (a vote or an AppendEntries success must never leave the
 *       node before what it promises is on stable storage: Figure 2, "updated on stable storage
 *       before responding to RPCs");
 *   <li><b>apply</b>: if {@link #snapshot()} is {@link SnapshotChange.Installed}, reset the state
 *       machine from it; then apply {@link #committedEntries()} to the state machine in order, and serve
 *       {@link #readStates()} once applied up to their read index; fail {@link #droppedReads()};
 *       before applying, register each of {@link #forwardAnswers()} like a local proposal, and settle
 *       {@link #forwardsUnanswered()} as unknown (they may have been appended);
 *   <li>call {@link RaftNode#advance()} to say all of the above is done.
 * </ol>
 */
public record Ready(
        HardState hardState,
        long truncateFrom,
        List<LogEntry> entriesToAppend,
        List<Message> messages,
        List<LogEntry> committedEntries,
        List<ReadState> readStates,
        List<Long> droppedReads,
        SnapshotChange snapshot,
        List<ForwardAnswer> forwardAnswers,
        List<Long> forwardsUnanswered) {

    /** A Ready without a snapshot or forwarded proposals. */
    public Ready(HardState hardState, long truncateFrom, List<LogEntry> entriesToAppend, List<Message> messages,
            List<LogEntry> committedEntries, List<ReadState> readStates, List<Long> droppedReads) {
        this(hardState, truncateFrom, entriesToAppend, messages, committedEntries, readStates, droppedReads, null,
                List.of(), List.of());
    }

    public Ready {
        entriesToAppend = List.copyOf(entriesToAppend);
        messages = List.copyOf(messages);
        committedEntries = List.copyOf(committedEntries);
        readStates = List.copyOf(readStates);
        droppedReads = List.copyOf(droppedReads);
        forwardAnswers = List.copyOf(forwardAnswers);
        forwardsUnanswered = List.copyOf(forwardsUnanswered);
    }

    /** True if there is nothing to persist, send, apply or answer. */
    public boolean isEmpty() {
        return hardState == null
                && snapshot == null
                && truncateFrom == 0
                && entriesToAppend.isEmpty()
                && messages.isEmpty()
                && committedEntries.isEmpty()
                && readStates.isEmpty()
                && droppedReads.isEmpty()
                && forwardAnswers.isEmpty()
                && forwardsUnanswered.isEmpty();
    }

    /** True if the driver must write to stable storage before sending. */
    public boolean mustPersist() {
        return hardState != null || snapshot != null || truncateFrom != 0 || !entriesToAppend.isEmpty();
    }
}
