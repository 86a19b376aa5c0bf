package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.core.RaftConfig;
import raftkv.core.RaftNode;
import raftkv.core.Snapshot;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;
import raftkv.storage.fs.ForwardingFileHandle;
import raftkv.storage.fs.ForwardingFileSystem;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * Snapshot files and the WAL cut after them, and a leader's snapshot installed (given whole, or
 * received in chunks through the sink): durable, checked, and crash-safe at every step.
 */
class SnapshotStorageTest {

    private static final Path DIR = Path.of("/var/lib/raftkv/n1");
    private static final List<String> MEMBERS = List.of("n1", "n2", "n3");

    private static Snapshot snapshot(long index) {
        return new Snapshot(index, 1, MEMBERS, ("state at " + index).getBytes());
    }

    /** A recovered snapshot, its data (read from its file) in memory: comparable with {@link #snapshot}. */
    private static Snapshot inMemory(Snapshot snapshot) {
        return new Snapshot(snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm(), snapshot.configuration(),
                snapshot.data().readAll());
    }

    private static Path snapshotFile(long index) {
        return DIR.resolve(SnapshotFiles.nameOf(index));
    }

    /** Snapshot, tail and what follows, as recovered: the log they describe must be 1..last. */
    private static void assertHoldsEveryEntry(DiskStorage storage, long last) {
        long after = storage.recoveredSnapshot().map(Snapshot::lastIncludedIndex).orElse(0L);
        List<LogEntry> entries = storage.recoveredEntries().stream().filter(e -> e.index() > after).toList();
        assertThat(entries).as("entries after the snapshot").isEqualTo(WalFixture.entries(1, after + 1, last));
    }

    @Test
    void theSnapshotAndTheLogAfterItSurviveAPowerLoss() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        DiskStorage storage = DiskStorage.open(fs, DIR);
        storage.persist(new HardState(1, "n1"), 0, WalFixture.entries(1, 1, 10));
        int walBefore = fs.readAllBytes(DIR.resolve(DiskStorage.WAL_FILE)).length;
        storage.saveSnapshot(snapshot(8), 7);
        storage.persist(null, 0, WalFixture.entries(1, 11, 12));
        fs.crash();
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot().map(SnapshotStorageTest::inMemory)).contains(snapshot(8));
            // The WAL keeps 7..12 (two trailing entries behind the snapshot); the node restarts after it.
            assertThat(reopened.recoveredEntries()).isEqualTo(WalFixture.entries(1, 9, 12));
        }
        assertThat(fs.readAllBytes(DIR.resolve(DiskStorage.WAL_FILE)).length).isLessThan(walBefore);
    }

    /**
     * save's own promise, apart from DiskStorage: inside DiskStorage the WAL cut that follows fsyncs
     * the same directory and would hide a missing directory fsync here (a crash before the cut keeps
     * the whole WAL, so nothing is lost), but SnapshotFiles says "when this returns it survives a
     * power loss", and removing either of its fsyncs fails this test.
     */
    @Test
    void aSavedSnapshotFileSurvivesAPowerLossOnItsOwn() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        fs.createDirectoriesDurably(DIR);
        new SnapshotFiles(fs, DIR).save(snapshot(8));
        fs.crash();
        List<SnapshotFiles.Found> found = new SnapshotFiles(fs, DIR).loadAll();
        assertThat(found).singleElement().isInstanceOfSatisfying(SnapshotFiles.Found.Valid.class, valid -> {
            assertThat(valid.file()).isEqualTo(snapshotFile(8));
            assertThat(inMemory(valid.snapshot())).isEqualTo(snapshot(8));
        });
    }

    @Test
    void onlyTheNewestSnapshotsAreKept() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 9));
            storage.saveSnapshot(snapshot(3), 1);
            storage.saveSnapshot(snapshot(6), 1);
            storage.saveSnapshot(snapshot(9), 1);
        }
        assertThat(fs.list(DIR).stream().map(p -> p.getFileName().toString()).filter(n -> n.startsWith("snapshot")))
                .containsExactly(SnapshotFiles.nameOf(6), SnapshotFiles.nameOf(9));
    }

    /**
     * The whole sequence — entries, a snapshot with its WAL cut, more entries, a snapshot that cuts
     * the whole log, a snapshot installed from a leader beyond the log, more entries — with a power
     * loss before each file operation in turn. Whatever a call had returned for (acknowledged) must
     * be recovered, and recovery must always succeed. Leaving out any fsync or directory fsync of the
     * snapshot path makes some crash point fail here. The installed snapshot's data is in memory here,
     * so its install writes the file itself ({@code SnapshotFiles.save}); a snapshot received in chunks
     * through the sink, whose install publishes the sink's file, is
     * {@link #aSnapshotReceivedInChunksAndInstalledSurvivesAPowerLossAtEveryStep}'s case.
     */
    @Test
    void aPowerLossAtEveryStepKeepsEveryAcknowledgedWrite() throws IOException {
        for (long crashAt = 0; ; crashAt++) {
            CrashingFileSystem fs = new CrashingFileSystem();
            fs.crashBeforeOperation(crashAt);
            long acknowledged = 0;
            Snapshot acknowledgedSnapshot = null;
            boolean completed = false;
            try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
                storage.persist(null, 0, WalFixture.entries(1, 1, 6));
                acknowledged = 6;
                storage.saveSnapshot(snapshot(5), 4);
                acknowledgedSnapshot = snapshot(5);
                storage.persist(null, 0, WalFixture.entries(1, 7, 8));
                acknowledged = 8;
                storage.saveSnapshot(snapshot(8), 9);
                acknowledgedSnapshot = snapshot(8);
                storage.persist(null, 0, WalFixture.entries(1, 9, 9));
                acknowledged = 9;
                storage.installSnapshot(snapshot(12)); // the leader's snapshot, past this log's end
                acknowledgedSnapshot = snapshot(12);
                acknowledged = 12;
                storage.persist(null, 0, WalFixture.entries(1, 13, 13));
                acknowledged = 13;
                completed = true;
            } catch (CrashingFileSystem.PowerLoss expected) {
                // the machine went down here
            }
            try (DiskStorage recovered = DiskStorage.open(fs.disk, DIR)) {
                if (acknowledgedSnapshot != null) {
                    assertThat(recovered.recoveredSnapshot()).as("crash at %d", crashAt).isPresent();
                    assertThat(recovered.recoveredSnapshot().get().lastIncludedIndex())
                            .as("crash at %d", crashAt).isGreaterThanOrEqualTo(acknowledgedSnapshot.lastIncludedIndex());
                }
                long last = recovered.recoveredEntries().isEmpty() ? recovered.recoveredSnapshot().map(Snapshot::lastIncludedIndex).orElse(0L)
                        : recovered.recoveredEntries().getLast().index();
                assertThat(last).as("crash at %d", crashAt).isGreaterThanOrEqualTo(acknowledged);
                assertHoldsEveryEntry(recovered, last);
            }
            if (completed) {
                assertThat(crashAt).as("crash points covered").isGreaterThan(30);
                return; // the scenario ran to the end without reaching the crash point: every step was covered
            }
        }
    }

    /**
     * A follower's install as the server does it: the leader's chunks go through
     * {@link DiskStorage#snapshotSink()} into a temporary file, and {@code installSnapshot} publishes
     * that file and empties the WAL; then one more entry. A power loss before each file operation in
     * turn: recovery always succeeds, an acknowledged install is recovered with the leader's data, the
     * entries acknowledged before it or after it are there, and no temporary file outlives the reopen.
     */
    @Test
    void aSnapshotReceivedInChunksAndInstalledSurvivesAPowerLossAtEveryStep() throws IOException {
        byte[] leaders = "the leader's state at 12, sent in chunks of five bytes".getBytes();
        for (long crashAt = 0; ; crashAt++) {
            CrashingFileSystem fs = new CrashingFileSystem();
            fs.crashBeforeOperation(crashAt);
            long acknowledged = 0;
            boolean installed = false;
            boolean completed = false;
            try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
                storage.persist(new HardState(1, "n1"), 0, WalFixture.entries(1, 1, 6));
                acknowledged = 6;
                storage.snapshotSink().begin(12, 2, ClusterConfig.ofVoterIds(MEMBERS));
                for (int from = 0; from < leaders.length; from += 5) {
                    storage.snapshotSink().append(java.util.Arrays.copyOfRange(leaders, from,
                            Math.min(leaders.length, from + 5)));
                }
                Snapshot received = new Snapshot(12, 2, MEMBERS, storage.snapshotSink().finish());
                storage.installSnapshot(received);
                installed = true;
                acknowledged = 12;
                storage.persist(null, 0, List.of(new LogEntry(2, 13, new Command.Put("k", "v"), null)));
                acknowledged = 13;
                completed = true;
            } catch (CrashingFileSystem.PowerLoss expected) {
                // the machine went down here
            } catch (java.io.UncheckedIOException e) {
                if (!(e.getCause() instanceof CrashingFileSystem.PowerLoss)) {
                    throw e;
                }
                // the machine went down while the sink received a chunk (it reports failures unchecked)
            }
            try (DiskStorage recovered = DiskStorage.open(fs.disk, DIR)) {
                Snapshot snapshot = recovered.recoveredSnapshot().orElse(null);
                if (installed) {
                    assertThat(snapshot).as("crash at %d", crashAt).isNotNull();
                }
                if (snapshot != null) {
                    assertThat(inMemory(snapshot)).as("crash at %d", crashAt)
                            .isEqualTo(new Snapshot(12, 2, MEMBERS, leaders));
                }
                long last = recovered.recoveredEntries().isEmpty()
                        ? (snapshot == null ? 0 : snapshot.lastIncludedIndex())
                        : recovered.recoveredEntries().getLast().index();
                assertThat(last).as("crash at %d", crashAt).isGreaterThanOrEqualTo(acknowledged);
                if (snapshot == null) {
                    assertHoldsEveryEntry(recovered, last);
                }
                assertThat(fs.disk.list(DIR)).as("crash at %d", crashAt)
                        .noneMatch(p -> p.toString().endsWith(AtomicFileWriter.TEMP_SUFFIX));
            }
            if (completed) {
                assertThat(crashAt).as("crash points covered").isGreaterThan(10);
                return; // the scenario ran to the end without reaching the crash point: every step was covered
            }
        }
    }

    @Test
    void anInstalledSnapshotReplacesTheWholeLog() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 5));
            storage.installSnapshot(snapshot(20));
        }
        try (DiskStorage restarted = DiskStorage.open(fs, DIR)) { // the log goes on after the snapshot
            restarted.persist(null, 0, WalFixture.entries(1, 21, 21));
        }
        fs.crash();
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot().map(SnapshotStorageTest::inMemory)).contains(snapshot(20));
            assertThat(reopened.recoveredEntries()).isEqualTo(WalFixture.entries(1, 21, 21));
        }
    }

    /**
     * A leader's snapshot at 8 of term 2 installed over a WAL whose entries, up to 10, are all of term 1
     * (the follower's log diverged after a snapshot at 4; two older snapshot files, so the install
     * also deletes one), with a power loss before each file operation of installSnapshot in turn.
     * The storage reopens either as before (snapshot 4, entries 5..10 of term 1) or as after
     * (snapshot 8, no entries): never the new snapshot with the old entries after it, whose terms
     * go back. The node restarts from what was recovered, and the storage takes the install again.
     */
    @Test
    void anInstallInterruptedAtEveryStepLeavesANodeThatRestarts_Figure13Rules6And7() throws IOException {
        Snapshot installed = new Snapshot(8, 2, MEMBERS, "the leader's state at 8".getBytes());
        for (long crashAt = 0; ; crashAt++) {
            CrashingFileSystem fs = new CrashingFileSystem();
            try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
                storage.persist(new HardState(2, null), 0, WalFixture.entries(1, 1, 10));
                storage.saveSnapshot(snapshot(2), 1);
                storage.saveSnapshot(snapshot(4), 3); // the WAL holds 3..10
            }
            boolean acknowledged = false;
            fs.crashBeforeOperation(crashAt);
            try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
                storage.installSnapshot(installed);
                acknowledged = true;
            } catch (CrashingFileSystem.PowerLoss expected) {
                // the machine went down inside installSnapshot
            }
            try (DiskStorage recovered = DiskStorage.open(fs.disk, DIR)) {
                Snapshot snapshot = recovered.recoveredSnapshot().orElseThrow();
                if (acknowledged || snapshot.lastIncludedIndex() == 8) {
                    assertThat(inMemory(snapshot)).as("crash at %d", crashAt).isEqualTo(installed);
                    assertThat(recovered.recoveredEntries()).as("crash at %d", crashAt).isEmpty();
                } else {
                    assertThat(inMemory(snapshot)).as("crash at %d", crashAt).isEqualTo(snapshot(4));
                    assertThat(recovered.recoveredEntries()).as("crash at %d", crashAt)
                            .isEqualTo(WalFixture.entries(1, 5, 10));
                }
                RaftNode node = RaftNode.restart(RaftConfig.of("n1", MEMBERS), recovered.recoveredHardState(),
                        snapshot, recovered.recoveredEntries(), new SplittableRandom(1));
                assertThat(node.commitIndex()).as("crash at %d", crashAt).isEqualTo(snapshot.lastIncludedIndex());
                // The leader sends the snapshot again (or the log goes on after it): both work.
                if (snapshot.lastIncludedIndex() == 4) {
                    recovered.installSnapshot(installed);
                }
                recovered.persist(null, 0, List.of(new LogEntry(2, 9, new Command.Noop(), null)));
            }
            try (DiskStorage again = DiskStorage.open(fs.disk, DIR)) {
                assertThat(again.recoveredSnapshot().map(SnapshotStorageTest::inMemory)).as("crash at %d", crashAt).contains(installed);
                assertThat(again.recoveredEntries()).extracting(LogEntry::index, LogEntry::term)
                        .as("crash at %d", crashAt).containsExactly(tuple(9L, 2L));
            }
            if (acknowledged) {
                assertThat(crashAt).as("crash points covered").isGreaterThanOrEqualTo(11);
                return; // installSnapshot ran to the end without reaching the crash point
            }
        }
    }

    @Test
    void aWalWhoseEntryAtTheSnapshotsIndexHasTheSnapshotsTermIsKept_Figure13Rule6() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(2, 1, 10));
        }
        new SnapshotFiles(fs, DIR).save(new Snapshot(8, 2, MEMBERS, new byte[0])); // as a crash mid-install leaves it
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredEntries()).isEqualTo(WalFixture.entries(2, 9, 10));
        }
        // The same WAL next to a snapshot whose last term differs: "7. Discard the entire log".
        new SnapshotFiles(fs, DIR).save(new Snapshot(9, 3, MEMBERS, new byte[0]));
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredEntries()).isEmpty();
        }
        fs.crash(); // the discarded WAL stays discarded
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot().map(Snapshot::lastIncludedIndex)).contains(9L);
            assertThat(reopened.recoveredEntries()).isEmpty();
            reopened.persist(null, 0, List.of(new LogEntry(3, 10, new Command.Noop(), null))); // the log goes on
        }
    }

    private static void corrupt(StrictMemFileSystem fs, Path file) throws IOException {
        byte[] bytes = fs.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x40;
        try (FileHandle handle = fs.openTruncated(file)) {
            handle.write(bytes);
            handle.sync();
        }
    }

    @Test
    void aDamagedSnapshotFallsBackToAnOlderOneThatTheWalContinues() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 10));
            storage.saveSnapshot(snapshot(4), 2);
            storage.saveSnapshot(snapshot(8), 3); // a long tail: the WAL still holds 3..10
        }
        corrupt(fs, snapshotFile(8));
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot().map(SnapshotStorageTest::inMemory)).contains(snapshot(4));
            assertHoldsEveryEntry(reopened, 10);
        }
    }

    @Test
    void aDamagedSnapshotWithoutAnOlderOneTheWalContinuesIsAClearError() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 10));
            storage.saveSnapshot(snapshot(4), 5);
            storage.saveSnapshot(snapshot(8), 9);
        }
        corrupt(fs, snapshotFile(8));
        assertThatThrownBy(() -> DiskStorage.open(fs, DIR)).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("damaged (checksum mismatch)").hasMessageContaining("starts at entry 9");
    }

    @Test
    void aDamagedSnapshotBeforeAnEmptyWalIsAClearError() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.installSnapshot(snapshot(4));
            storage.installSnapshot(snapshot(8));
        }
        corrupt(fs, snapshotFile(8));
        assertThatThrownBy(() -> DiskStorage.open(fs, DIR)).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("damaged").hasMessageContaining("is empty");
    }

    @Test
    void aWalThatStartsAfterEntryOneNeedsASnapshot() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 6));
            storage.saveSnapshot(snapshot(5), 4);
        }
        fs.delete(snapshotFile(5));
        fs.syncDirectory(DIR);
        assertThatThrownBy(() -> DiskStorage.open(fs, DIR)).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("no snapshot").hasMessageContaining("starts at entry 4");
    }

    @Test
    void leftoverTemporaryFilesAreIgnoredAndRemoved() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 3));
        }
        for (String name : List.of(SnapshotFiles.nameOf(9) + ".tmp", DiskStorage.WAL_FILE + ".tmp")) {
            try (FileHandle handle = fs.openTruncated(DIR.resolve(name))) {
                handle.write(new byte[] {1, 2, 3});
            }
        }
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot()).isEmpty();
            assertThat(reopened.recoveredEntries()).isEqualTo(WalFixture.entries(1, 1, 3));
        }
        List<String> names = new ArrayList<>();
        fs.list(DIR).forEach(p -> names.add(p.getFileName().toString()));
        assertThat(names).noneMatch(n -> n.endsWith(".tmp"));
    }

    @Test
    void damagedSnapshotsBeforeAWalThatStartsAtEntryOneAreReplacedByTheWholeWal() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 10));
            storage.saveSnapshot(snapshot(4), 1); // nothing cut: the WAL keeps entry 1 on
            storage.saveSnapshot(snapshot(8), 1);
        }
        corrupt(fs, snapshotFile(4));
        corrupt(fs, snapshotFile(8));
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot()).isEmpty();
            assertThat(reopened.recoveredEntries()).isEqualTo(WalFixture.entries(1, 1, 10));
        }
    }

    @Test
    void theErrorNamesEveryDamagedSnapshot() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 10));
            storage.saveSnapshot(snapshot(4), 5);
            storage.saveSnapshot(snapshot(8), 9);
        }
        corrupt(fs, snapshotFile(4));
        corrupt(fs, snapshotFile(8));
        assertThatThrownBy(() -> DiskStorage.open(fs, DIR)).isInstanceOf(StorageCorruptedException.class)
                .hasMessageStartingWith("snapshot ").hasMessageContaining("(checksum mismatch); snapshot ")
                .hasMessageContaining("starts at entry 9");
    }

    /** A file system that keeps the handles it gave out and has not seen closed. */
    private static final class HandleCounting extends ForwardingFileSystem {
        final Set<FileHandle> open = Collections.newSetFromMap(new IdentityHashMap<>());

        HandleCounting(FileSystem inner) {
            super(inner);
        }

        @Override
        protected FileHandle wrap(FileHandle handle, Path file) {
            FileHandle wrapped = new ForwardingFileHandle(handle) {
                @Override
                public void close() throws IOException {
                    open.remove(this);
                    super.close();
                }
            };
            open.add(wrapped);
            return wrapped;
        }
    }

    @Test
    void everyFileOpenedIsClosedAgain_onlyTheWalStaysOpenWhileTheNodeRuns() throws IOException {
        StrictMemFileSystem mem = new StrictMemFileSystem();
        HandleCounting fs = new HandleCounting(mem);
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(new HardState(1, "n1"), 0, WalFixture.entries(1, 1, 10));
            storage.saveSnapshot(snapshot(4), 5);
            storage.installSnapshot(snapshot(20));
            storage.snapshotSink().begin(30, 1, ClusterConfig.ofVoterIds(MEMBERS));
            storage.snapshotSink().append(new byte[] {1});
            assertThat(fs.open).as("the WAL and the snapshot being received").hasSize(2);
        }
        assertThat(fs.open).as("after close").isEmpty();
    }

    @Test
    void aDataDirectoryThatRefusesToOpenLeavesNoFileOpen() throws IOException {
        StrictMemFileSystem mem = new StrictMemFileSystem();
        try (DiskStorage storage = DiskStorage.open(mem, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 10));
            storage.saveSnapshot(snapshot(8), 9);
        }
        corrupt(mem, snapshotFile(8));
        HandleCounting fs = new HandleCounting(mem);
        assertThatThrownBy(() -> DiskStorage.open(fs, DIR)).as("a damaged snapshot the WAL needs")
                .isInstanceOf(StorageCorruptedException.class);
        assertThat(fs.open).isEmpty();

        try (FileHandle handle = mem.openTruncated(DIR.resolve(DiskStorage.WAL_FILE))) {
            handle.write(new byte[64]);
            handle.sync();
        }
        assertThatThrownBy(() -> DiskStorage.open(fs, DIR)).as("a WAL of zeros")
                .isInstanceOf(StorageCorruptedException.class);
        assertThat(fs.open).isEmpty();
    }

    @Test
    void aSnapshotWriteThatFailsClosesAndRemovesItsFile() throws IOException {
        StrictMemFileSystem mem = new StrictMemFileSystem();
        HandleCounting fs = new HandleCounting(mem);
        mem.createDirectoriesDurably(DIR);
        SnapshotFiles files = new SnapshotFiles(fs, DIR);

        assertThatThrownBy(() -> files.write(5, 1, ClusterConfig.ofVoterIds(MEMBERS), out -> {
            out.write(1);
            throw new IOException("the state machine failed");
        })).hasMessageContaining("state machine failed");

        assertThat(fs.open).isEmpty();
        assertThat(mem.list(DIR)).isEmpty();
    }
}
