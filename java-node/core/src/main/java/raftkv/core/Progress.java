package raftkv.core;

/**
 * What a leader knows about one follower: Figure 2's "volatile state on leaders" (nextIndex,
 * matchIndex), plus flow control in the style of etcd-io/raft and the evidence CheckQuorum and
 * ReadIndex need.
 */
final class Progress {

    /**
     * PROBE: we do not know where the follower's log ends; send one AppendEntries at a time and wait
     * for its reply. REPLICATE: the follower accepted our last AppendEntries; stream new entries
     * without waiting, advancing nextIndex optimistically, at most {@link RaftConfig#maxInflightMessages}
     * messages ahead of its acknowledgements.
     */
    enum Mode {
        PROBE,
        REPLICATE,
        /**
         * The entries the follower needs were compacted: send it the snapshot ({@link #snapshotTransfer}),
         * a window of chunks at a time, and no entries until it is installed.
         */
        SNAPSHOT
    }

    /** "index of the next log entry to send to that server (initialized to leader last log index + 1)" */
    long nextIndex;

    /** "index of highest log entry known to be replicated on server (initialized to 0, increases monotonically)" */
    long matchIndex;

    /** Changed only through {@link #becomeProbe}, {@link #becomeReplicate} and {@link #becomeSnapshot}. */
    Mode mode = Mode.PROBE;

    /** In REPLICATE mode: the AppendEntries sent and not yet acknowledged; empty in the other modes. */
    final Inflights inflights;

    /** In SNAPSHOT mode: the transfer under way, which pins its snapshot; null in the other modes. */
    SnapshotTransfer snapshotTransfer;

    /**
     * Outside REPLICATE mode (probing, or sending a snapshot): an AppendEntries to this follower is
     * unanswered. While probing, send no new entries until its reply or a heartbeat.
     */
    boolean awaitingReply;

    /** Heard from this follower during the current CheckQuorum window (§6.2 / dissertation §6.2). */
    boolean recentlyActive;

    /**
     * The first round sent after {@link #matchIndex} last grew: a rejection of a round from here on
     * was handled by the follower after it acknowledged matchIndex, so a log shorter than that means
     * it lost its data (a reordered older rejection cannot be taken for one).
     */
    long matchKnownRound = Long.MAX_VALUE;

    /** The follower reported a log shorter than what it acknowledged: it lost its data (a wiped disk). */
    boolean lostData;

    /** Highest AppendEntries round number this follower has answered in the current term. */
    long ackedRound;

    /** The leaderCommit of the last AppendEntries sent to this follower. */
    long commitSent;

    Progress(long nextIndex, int maxInflightMessages) {
        this.nextIndex = nextIndex;
        this.inflights = new Inflights(maxInflightMessages);
    }

    /**
     * Send this follower no new entries for now (etcd-io/raft's {@code Progress.IsPaused}): it is
     * being probed and the probe is unanswered, or it is being streamed to and its window is full.
     * Heartbeats go regardless.
     */
    boolean paused() {
        return switch (mode) {
            case PROBE -> awaitingReply;
            case REPLICATE -> inflights.full();
            case SNAPSHOT -> true;
        };
    }

    void becomeProbe() {
        enter(Mode.PROBE);
    }

    void becomeReplicate() {
        enter(Mode.REPLICATE);
    }

    /** Starts sending {@code transfer}'s snapshot; it stays pinned until the follower leaves SNAPSHOT mode. */
    void becomeSnapshot(SnapshotTransfer transfer) {
        enter(Mode.SNAPSHOT);
        snapshotTransfer = transfer;
    }

    /**
     * Whatever was in flight belonged to the old mode: its answers are handled, not waited for. Leaving
     * SNAPSHOT mode ends the transfer and releases its pinned snapshot.
     */
    private void enter(Mode newMode) {
        mode = newMode;
        awaitingReply = false;
        inflights.reset();
        snapshotTransfer = null;
    }
}
