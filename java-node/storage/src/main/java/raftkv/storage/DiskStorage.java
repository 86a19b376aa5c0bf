package raftkv.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.core.StableStorage;
import raftkv.storage.fs.FileSystem;

/**
 * A node's data directory: {@code hardstate} (term and vote) and {@code raft.wal} (the log).
 * {@link #persist} performs the "persist" step of a Ready in the order Ready's contract asks for.
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

    /**
     * Opens the data directory and recovers what it holds. On first boot the directory is created
     * durably (each new directory's parent fsynced): otherwise a power loss right after the first vote
     * could take the whole directory, vote included, with it.
     *
     * @throws WalCorruptedException if what is on disk cannot be trusted; the message says what to do
     */
    public static DiskStorage open(FileSystem fs, Path dataDir) throws IOException {
        fs.createDirectoriesDurably(dataDir);
        HardStateFile hardStateFile = new HardStateFile(fs, dataDir.resolve(HARD_STATE_FILE));
        HardState hardState = hardStateFile.load();
        return new DiskStorage(hardStateFile, hardState, Wal.open(fs, dataDir.resolve(WAL_FILE)));
    }

    public HardState recoveredHardState() {
        return recoveredHardState;
    }

    public List<LogEntry> recoveredEntries() {
        return wal.recoveredEntries();
    }

    /** Bytes of torn WAL tail (never fsynced, so never acknowledged) that recovery cut off at open. */
    public long tornTailBytes() {
        return wal.tornTailBytes();
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
