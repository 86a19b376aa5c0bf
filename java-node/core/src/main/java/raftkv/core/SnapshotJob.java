package raftkv.core;

/**
 * A snapshot to write: the frozen state machine and what Raft records with it (dissertation §5.1,
 * Figure 5.1: the last included index and term, the configuration).
 *
 * @param state the state machine as of {@code lastIncludedIndex}, safe to read from another thread
 */
public record SnapshotJob(long lastIncludedIndex, long lastIncludedTerm, ClusterConfig configuration,
        KvStore.Frozen state) {

    public SnapshotJob {
        java.util.Objects.requireNonNull(configuration, "configuration");
        if (state.index() != lastIncludedIndex) {
            throw new IllegalArgumentException("the state is at " + state.index() + ", not " + lastIncludedIndex);
        }
    }

    /** The snapshot with its data in memory: for tests and small states. */
    public Snapshot inMemory() {
        return new Snapshot(lastIncludedIndex, lastIncludedTerm, configuration, state.toBytes());
    }
}
