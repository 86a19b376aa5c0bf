package raftkv.core;

import java.io.IOException;
import java.util.List;

/**
 * Figure 2's "stable storage": where a driver makes the persistent part of a {@link Ready} durable.
 * The server implements it with files and fsync; tests and the simulator can use the same files
 * on a strict in-memory file system that forgets whatever was not fsynced when it "crashes".
 */
public interface StableStorage {

    /**
     * Makes durable, in this order: {@code hardState} if not null, the truncation of every entry at
     * index {@code >= truncateFrom} if {@code truncateFrom > 0}, then {@code entries}. Returns only
     * once all of it would survive a power loss.
     */
    void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) throws IOException;

    /**
     * Makes {@code snapshot} durable (this node took it, dissertation §5.1), then drops the log
     * entries before {@code firstKeptIndex}. Usually the snapshot is durable already: the driver's
     * {@link SnapshotWriter} wrote it (and the core compacts only then), so only the log is cut.
     * Returns once the snapshot would survive a power loss; a crash at any point leaves either the
     * old or the new snapshot, with a log that continues it.
     */
    void saveSnapshot(Snapshot snapshot, long firstKeptIndex) throws IOException;

    /**
     * Makes {@code snapshot} (sent by the leader, its data as the {@link SnapshotSink} finished it)
     * durable and discards the entire log: the log now continues after the snapshot's last included
     * index (InstallSnapshot, Figure 5.3).
     */
    void installSnapshot(Snapshot snapshot) throws IOException;
}
