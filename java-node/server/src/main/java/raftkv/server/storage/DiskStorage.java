package raftkv.server.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.core.StableStorage;

/**
 * A node's data directory: {@code hardstate} (term and vote) and {@code raft.wal} (the log).
 * {@link #save} performs the "persist" step of a Ready in the order Ready's contract asks for.
 */
public final class DiskStorage implements StableStorage, Closeable {

    public static final String HARD_STATE_FILE = "hardstate";
    public static final String WAL_FILE = "raft.wal";

    private final HardStateFile hardStateFile;
    private final HardState recoveredHardState;
    private final Wal wal;

    private DiskStorage(HardStateFile hardStateFile, HardState hardState, Wal wal) {
        this.hardStateFile = hardStateFile;
        this.recoveredHardState = hardState;
        this.wal = wal;
    }

    /** Opens the data directory (creating it if needed) and recovers what it holds. */
    public static DiskStorage open(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        HardStateFile hardStateFile = new HardStateFile(dataDir.resolve(HARD_STATE_FILE));
        HardState hardState = hardStateFile.load();
        return new DiskStorage(hardStateFile, hardState, Wal.open(dataDir.resolve(WAL_FILE)));
    }

    public HardState recoveredHardState() {
        return recoveredHardState;
    }

    public List<LogEntry> recoveredEntries() {
        return wal.recoveredEntries();
    }

    /**
     * Makes a Ready's persistent part durable: the hard state (if it changed), then the log suffix,
     * with one fsync of the WAL for the whole batch. Returns only once all of it is on disk.
     */
    @Override
    public void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) throws IOException {
        if (hardState != null) {
            hardStateFile.save(hardState);
        }
        if (truncateFrom > 0 || !entries.isEmpty()) {
            wal.append(truncateFrom, entries);
            wal.sync();
        }
    }

    @Override
    public void close() throws IOException {
        wal.close();
    }
}
