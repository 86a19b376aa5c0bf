package raftkv.core;

import java.util.Arrays;
import java.util.List;

/**
 * A snapshot of the state machine (dissertation §5.1, Figure 5.1): it replaces every log entry up to
 * and including {@code lastIncludedIndex}. Besides the state machine's bytes it keeps what Raft needs
 * about the prefix it replaces: the index and term of its last entry (for the AppendEntries
 * consistency check of the entry after it) and the membership.
 *
 * @param data the state machine's deterministic bytes ({@link KvStore#snapshotBytes()}): equal states
 *     give equal bytes, so snapshots of the same index taken on different nodes are identical
 */
public record Snapshot(long lastIncludedIndex, long lastIncludedTerm, List<String> members, byte[] data) {

    public Snapshot {
        members = List.copyOf(members);
        data = data.clone();
        if (lastIncludedIndex < 1 || lastIncludedTerm < 1) {
            throw new IllegalArgumentException(
                    "a snapshot covers at least entry 1: index " + lastIncludedIndex + ", term " + lastIncludedTerm);
        }
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Bytes of state machine data, without copying them. */
    public int size() {
        return data.length;
    }

    /** {@code length} bytes of the data from {@code offset}: one InstallSnapshot chunk. */
    byte[] chunk(long offset, int length) {
        int from = Math.toIntExact(offset);
        return Arrays.copyOfRange(data, from, Math.min(data.length, from + length));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Snapshot s && s.lastIncludedIndex == lastIncludedIndex
                && s.lastIncludedTerm == lastIncludedTerm && s.members.equals(members) && Arrays.equals(s.data, data);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(lastIncludedIndex) * 31 + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Snapshot[index " + lastIncludedIndex + ", term " + lastIncludedTerm + ", " + data.length + " bytes]";
    }
}
