package raftkv.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.random.RandomGenerator;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotJob;
import raftkv.core.SnapshotSink;
import raftkv.core.StableStorage;
import raftkv.storage.DiskStorage;
import raftkv.storage.fs.StrictMemFileSystem;
import raftkv.storage.fs.TearPolicy;

/**
 * A simulated node's disk: the server's own {@link DiskStorage} (WAL and hard-state file) on a
 * {@link StrictMemFileSystem}. It is the only thing that survives a crash, and every crash is a
 * power loss: whatever was not fsynced is lost, and the unsynced tail of a file is torn at random
 * 4 KiB pages. So a missing fsync, or a recovery that mistakes a torn tail for corruption, shows up
 * as a broken invariant or a node that cannot restart.
 */
final class SimDisk implements StableStorage {

    private final Path dataDir;
    private final StrictMemFileSystem disk = new StrictMemFileSystem();
    private final PowerCutFileSystem fs = new PowerCutFileSystem(disk);
    private final RandomGenerator tearRandom;
    private DiskStorage storage;
    private int tornTailsCut;
    private int snapshotsSaved;
    private int snapshotsInstalled;
    private int powerCutsInSnapshots;

    SimDisk(String nodeId, RandomGenerator tearRandom) {
        this.dataDir = Path.of("/var/lib/raftkv", nodeId);
        this.tearRandom = tearRandom;
        boot();
    }

    /** Opens the data directory and recovers what it holds, as the server does at start. */
    void boot() {
        try {
            storage = DiskStorage.open(fs, dataDir);
            if (storage.tornTailBytes() > 0) {
                tornTailsCut++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("node storage in " + dataDir + " does not recover", e);
        }
    }

    /** How many boots found a torn WAL tail and cut it off (rather than calling it corruption). */
    int tornTailsCut() {
        return tornTailsCut;
    }

    HardState recoveredHardState() {
        return storage.recoveredHardState();
    }

    List<LogEntry> recoveredEntries() {
        return storage.recoveredEntries();
    }

    Optional<Snapshot> recoveredSnapshot() {
        return storage.recoveredSnapshot();
    }

    /**
     * Writes a snapshot the node froze, as the server's snapshot-writer thread does (the simulator
     * calls it when the seeded delay of the write is over): streamed to a temporary file, published.
     */
    Snapshot writeSnapshot(SnapshotJob job) throws IOException {
        try {
            Snapshot written = storage.writeSnapshot(job);
            snapshotsSaved++;
            return written;
        } catch (PowerCutFileSystem.PowerCut cut) {
            powerCutsInSnapshots++;
            throw cut;
        }
    }

    /** Where the node receives a leader's snapshot: a temporary file of this disk, as in the server. */
    SnapshotSink snapshotSink() {
        return storage.snapshotSink();
    }

    @Override
    public void saveSnapshot(Snapshot snapshot, long firstKeptIndex) throws IOException {
        try {
            storage.saveSnapshot(snapshot, firstKeptIndex);
        } catch (PowerCutFileSystem.PowerCut cut) {
            powerCutsInSnapshots++;
            throw cut;
        }
    }

    @Override
    public void installSnapshot(Snapshot snapshot) throws IOException {
        try {
            storage.installSnapshot(snapshot);
            snapshotsInstalled++;
        } catch (PowerCutFileSystem.PowerCut cut) {
            powerCutsInSnapshots++;
            throw cut;
        }
    }

    /** Snapshots this node wrote, installed from a leader, and power cuts in the middle of either (or of a cut). */
    int snapshotsSaved() {
        return snapshotsSaved;
    }

    int snapshotsInstalled() {
        return snapshotsInstalled;
    }

    int powerCutsInSnapshots() {
        return powerCutsInSnapshots;
    }

    @Override
    public void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) throws IOException {
        storage.persist(hardState, truncateFrom, entries);
    }

    /** The power will go out at the next fsync, in the middle of persisting a Ready. */
    void cutPowerAtNextSync() {
        fs.cutAtNextSync();
    }

    boolean powerCutPending() {
        return fs.cutPending();
    }

    /** The power goes out now: unsynced bytes are lost or torn; open files are gone with the process. */
    void powerLoss() {
        disk.crash(new TearPolicy.RandomPages(tearRandom));
        fs.powerRestored();
        storage = null;
    }
}
