package raftkv.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotJob;
import raftkv.core.SnapshotSink;
import raftkv.core.StableStorage;
import raftkv.storage.fs.FileSystem;

/**
 * A node's data directory: {@code hardstate} (term and vote), {@code raft.wal} (the log after the
 * latest snapshot, or around it) and {@code snapshot-<index>.snap} (the latest snapshots, see
 * {@link SnapshotFiles}). {@link #persist}, {@link #saveSnapshot} and {@link #installSnapshot}
 * perform the "persist" step of a Ready in the order Ready's contract asks for.
 *
 * <p>Compaction order, crash-safe at every step: the snapshot file is made durable first, then the
 * WAL is rewritten without the entries it replaces, then older snapshot files are deleted. Recovery
 * loads the newest valid snapshot the WAL continues, and replays only the WAL; a WAL left over from
 * before an installed snapshot (a crash between its two steps) is discarded then, as the install
 * would have done.
 */
public final class DiskStorage implements StableStorage, Closeable {

    public static final String HARD_STATE_FILE = "hardstate";
    public static final String WAL_FILE = "raft.wal";

    private static final Logger log = LoggerFactory.getLogger(DiskStorage.class);

    private final HardStateFile hardStateFile;
    private final HardState recoveredHardState;
    private final Wal wal;
    private final SnapshotFiles snapshots;
    private final SnapshotFileSink sink;
    private final Snapshot recoveredSnapshot; // or null
    private final List<LogEntry> recoveredEntries;

    private DiskStorage(HardStateFile hardStateFile, HardState hardState, Wal wal, SnapshotFiles snapshots,
            Snapshot recoveredSnapshot, List<LogEntry> recoveredEntries) {
        this.hardStateFile = hardStateFile;
        this.recoveredHardState = hardState;
        this.wal = wal;
        this.snapshots = snapshots;
        this.sink = new SnapshotFileSink(snapshots);
        this.recoveredSnapshot = recoveredSnapshot;
        this.recoveredEntries = List.copyOf(recoveredEntries);
    }

    /**
     * Opens the data directory and recovers what it holds. On first boot the directory is created
     * durably (each new directory's parent fsynced): otherwise a power loss right after the first vote
     * could take the whole directory, vote included, with it.
     *
     * @throws StorageCorruptedException if what is on disk cannot be trusted; the message says what to do
     */
    public static DiskStorage open(FileSystem fs, Path dataDir) throws IOException {
        fs.createDirectoriesDurably(dataDir);
        HardStateFile hardStateFile = new HardStateFile(fs, dataDir.resolve(HARD_STATE_FILE));
        HardState hardState = hardStateFile.load();
        SnapshotFiles snapshots = new SnapshotFiles(fs, dataDir);
        Wal wal = Wal.open(fs, dataDir.resolve(WAL_FILE));
        try {
            Snapshot snapshot = newestUsableSnapshot(snapshots.loadAll(), wal.recoveredEntries(), dataDir);
            List<LogEntry> entries = wal.recoveredEntries();
            if (snapshot != null) {
                long index = snapshot.lastIncludedIndex();
                if (!walContinues(snapshot, entries)) {
                    // "7. Discard the entire log" (dissertation Figure 5.3): the log continues after the
                    // snapshot, in a WAL that says so.
                    wal.discardAll(index);
                    entries = List.of();
                }
                // The node restarts from the snapshot: entries it covers are not needed again.
                entries = entries.stream().filter(e -> e.index() > index).toList();
            }
            return new DiskStorage(hardStateFile, hardState, wal, snapshots, snapshot, entries);
        } catch (IOException | RuntimeException e) {
            wal.close();
            throw e;
        }
    }

    /**
     * True if the WAL goes on from {@code snapshot}, so its entries after the snapshot are the log's:
     * InstallSnapshot's receiver rules 6-7 (dissertation Figure 5.3), applied again at open. A crash
     * inside {@link #installSnapshot} after the snapshot became durable and before the WAL was
     * discarded leaves the old WAL, whose entries may be of older terms than the snapshot's last
     * one; keeping them would hand the node a log whose terms go back.
     */
    private static boolean walContinues(Snapshot snapshot, List<LogEntry> wal) {
        long index = snapshot.lastIncludedIndex();
        if (wal.isEmpty() || wal.getLast().index() < index) {
            return false; // the snapshot covers all the WAL holds: an installed snapshot, or a cut that kept nothing
        }
        long first = wal.getFirst().index();
        if (first == index + 1) {
            // Cut right after this snapshot (taken with no trailing entries) or begun after installing it.
            // (The old WAL of an install cannot start there: it would need a snapshot at this index already.)
            return true;
        }
        // "6. If existing log entry has same index and term as snapshot's last included entry, retain log
        // entries following it"; otherwise rule 7. (newestUsableSnapshot ruled out a gap, so first <= index.)
        return wal.get(Math.toIntExact(index - first)).term() == snapshot.lastIncludedTerm();
    }

    /**
     * The newest valid snapshot that the WAL continues without a gap. A damaged snapshot is skipped
     * only if an older one still joins the WAL: then nothing is lost, because the WAL holds every
     * entry after the older one. Otherwise the node refuses to start rather than forget entries.
     */
    private static Snapshot newestUsableSnapshot(List<SnapshotFiles.Found> found, List<LogEntry> wal, Path dataDir)
            throws StorageCorruptedException {
        long walFirst = wal.isEmpty() ? -1 : wal.getFirst().index();
        StringBuilder skipped = new StringBuilder();
        for (SnapshotFiles.Found f : found) {
            if (f instanceof SnapshotFiles.Found.Damaged damaged) {
                skipped.append(skipped.isEmpty() ? "" : "; ").append("snapshot ").append(damaged.file())
                        .append(" is damaged (").append(damaged.why()).append(")");
                continue;
            }
            SnapshotFiles.Found.Valid valid = (SnapshotFiles.Found.Valid) f;
            if (walFirst < 0 && !skipped.isEmpty()) {
                break; // an empty WAL proves nothing about the entries after an older snapshot
            }
            if (walFirst > valid.index() + 1) {
                throw new StorageCorruptedException((skipped.isEmpty() ? "" : skipped + "; ")
                        + "the WAL in " + dataDir + " starts at entry " + walFirst
                        + " but the newest usable snapshot " + valid.file() + " ends at " + valid.index()
                        + ": entries in between are missing. Refusing to start;"
                        + " remove the node from the cluster and add it back as a new one with an empty"
                        + " directory (--join; docs/api.md, \"Membership\").");
            }
            if (!skipped.isEmpty()) {
                log.warn("{}: using the older snapshot {} instead; the WAL holds every entry after it", skipped,
                        valid.file());
            }
            return valid.snapshot();
        }
        if (walFirst > 1 || (walFirst < 0 && !skipped.isEmpty())) {
            throw new StorageCorruptedException((skipped.isEmpty() ? "no snapshot in " + dataDir : skipped)
                    + ", and the WAL " + (walFirst < 0 ? "is empty" : "starts at entry " + walFirst)
                    + ": the entries a snapshot replaced are gone. Refusing to start;"
                    + " remove the node from the cluster and add it back as a new one with an empty"
                    + " directory (--join; docs/api.md, \"Membership\").");
        }
        if (!skipped.isEmpty()) {
            log.warn("{}: replaying the whole WAL instead, which starts at entry 1", skipped);
        }
        return null;
    }

    /** The newest snapshot that recovery found usable, if any; the node and its state machine start from it. */
    public Optional<Snapshot> recoveredSnapshot() {
        return Optional.ofNullable(recoveredSnapshot);
    }

    public HardState recoveredHardState() {
        return recoveredHardState;
    }

    /**
     * The log entries recovered after {@link #recoveredSnapshot()} (all of them if there is none): the
     * WAL's trailing entries behind the snapshot stay on disk until the next cut, but the node does
     * not need them.
     */
    public List<LogEntry> recoveredEntries() {
        return recoveredEntries;
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

    /**
     * Writes the frozen state machine of {@code job} as a snapshot file, streaming, and returns it
     * once durable, its data read back from the file on demand. Meant for the snapshot-writer thread:
     * it touches only its own (temporary, then new) file, never the WAL or the hard state, so the loop
     * may persist meanwhile. A crash before it returns leaves the previous snapshots and the WAL as
     * they were, plus a temporary file the next open deletes.
     */
    public Snapshot writeSnapshot(SnapshotJob job) throws IOException {
        return snapshots.write(job.lastIncludedIndex(), job.lastIncludedTerm(), job.configuration(), job.state()::writeTo);
    }

    /** Where the chunks of a snapshot the leader sends go: a temporary file in the data directory. */
    public SnapshotSink snapshotSink() {
        return sink;
    }

    /**
     * Saves the snapshot unless {@link #writeSnapshot} made it durable already, cuts the WAL before
     * {@code firstKeptIndex}, then deletes older snapshots.
     */
    @Override
    public void saveSnapshot(Snapshot snapshot, long firstKeptIndex) throws IOException {
        long start = System.nanoTime();
        if (!snapshots.isPublished(snapshot)) {
            snapshots.save(snapshot);
        }
        wal.cutBefore(firstKeptIndex);
        snapshots.deleteOld();
        // On the caller's thread (the event loop): the rewrite rereads the WAL since the last cut.
        log.info("WAL cut before entry {} after {} in {} ms", firstKeptIndex, snapshot, millisSince(start));
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * Saves the leader's snapshot (publishing the file {@link #snapshotSink()} received it into),
     * empties the WAL (the log continues after it), deletes older snapshots.
     */
    @Override
    public void installSnapshot(Snapshot snapshot) throws IOException {
        long start = System.nanoTime();
        if (sink.holds(snapshot)) {
            sink.publish();
        } else if (!snapshots.isPublished(snapshot)) {
            snapshots.save(snapshot);
        }
        long published = System.nanoTime();
        wal.discardAll(snapshot.lastIncludedIndex());
        snapshots.deleteOld();
        // On the caller's thread (the event loop), before the reply leaves; decoding comes after, elsewhere.
        log.info("installed {}: published (trailer, fsync, rename) in {} ms, WAL emptied in {} ms", snapshot,
                (published - start) / 1_000_000, millisSince(published));
    }

    @Override
    public void close() throws IOException {
        sink.close();
        wal.close();
    }
}
