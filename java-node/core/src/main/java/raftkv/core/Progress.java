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
     * without waiting, advancing nextIndex optimistically.
     */
    enum Mode {
        PROBE,
        REPLICATE,
        /** The entries the follower needs were compacted: send it the snapshot, one chunk at a time. */
        SNAPSHOT
    }

    /** "index of the next log entry to send to that server (initialized to leader last log index + 1)" */
    long nextIndex;

    /** "index of highest log entry known to be replicated on server (initialized to 0, increases monotonically)" */
    long matchIndex;

    Mode mode = Mode.PROBE;

    /** In SNAPSHOT mode: the snapshot being sent, and the offset of the next chunk. */
    long snapshotIndex;

    long snapshotOffset;

    /** In PROBE (or SNAPSHOT) mode: an AppendEntries (or a chunk) is in flight, send nothing more until its reply or a heartbeat. */
    boolean probeInFlight;

    /** Heard from this follower during the current CheckQuorum window (§6.2 / dissertation §6.2). */
    boolean recentlyActive;

    /** Highest AppendEntries probe number this follower has answered in the current term. */
    long ackedProbe;

    Progress(long nextIndex) {
        this.nextIndex = nextIndex;
    }
}
