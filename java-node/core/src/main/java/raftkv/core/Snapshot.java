package raftkv.core;

import java.util.List;

/**
 * A snapshot of the state machine (dissertation §5.1, Figure 5.1): it replaces every log entry up to
 * and including {@code lastIncludedIndex}. Besides the state machine's bytes it keeps what Raft needs
 * about the prefix it replaces: the index and term of its last entry (for the AppendEntries
 * consistency check of the entry after it) and the configuration in force at that index (§4.1; not the
 * latest in the log, which may come later).
 *
 * @param data the state machine's deterministic bytes ({@link KvStore#snapshotBytes()}), in memory or
 *     in a file: equal states give equal bytes, so snapshots of the same index taken on different
 *     nodes are identical. Never copied: whoever makes a snapshot hands its data over.
 */
public record Snapshot(long lastIncludedIndex, long lastIncludedTerm, ClusterConfig configuration, SnapshotData data) {

    public Snapshot {
        java.util.Objects.requireNonNull(configuration, "configuration");
        if (lastIncludedIndex < 1 || lastIncludedTerm < 1) {
            throw new IllegalArgumentException(
                    "a snapshot covers at least entry 1: index " + lastIncludedIndex + ", term " + lastIncludedTerm);
        }
    }

    /** A snapshot of {@code data} in memory, which the caller hands over (it is not copied). */
    public Snapshot(long lastIncludedIndex, long lastIncludedTerm, ClusterConfig configuration, byte[] data) {
        this(lastIncludedIndex, lastIncludedTerm, configuration, SnapshotData.of(data));
    }

    /** A snapshot whose configuration is {@code voters}, known by id only (tests). */
    public Snapshot(long lastIncludedIndex, long lastIncludedTerm, List<String> voters, byte[] data) {
        this(lastIncludedIndex, lastIncludedTerm, ClusterConfig.ofVoterIds(voters), SnapshotData.of(data));
    }

    /** A snapshot whose configuration is {@code voters}, known by id only (tests). */
    public Snapshot(long lastIncludedIndex, long lastIncludedTerm, List<String> voters, SnapshotData data) {
        this(lastIncludedIndex, lastIncludedTerm, ClusterConfig.ofVoterIds(voters), data);
    }

    /** Bytes of state machine data. */
    public long size() {
        return data.size();
    }

    @Override
    public String toString() {
        return "Snapshot[index " + lastIncludedIndex + ", term " + lastIncludedTerm + ", " + data.size() + " bytes]";
    }
}
