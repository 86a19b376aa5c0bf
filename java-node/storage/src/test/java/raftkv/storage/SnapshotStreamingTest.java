package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.HardState;
import raftkv.core.KvStore;
import raftkv.core.LogEntry;
import raftkv.core.Snapshot;
import raftkv.core.SnapshotData;
import raftkv.core.SnapshotJob;
import raftkv.core.SnapshotSink;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;
import raftkv.storage.fs.RealFileSystem;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * Snapshots that never sit whole in memory: written as a stream by the snapshot writer (off the
 * event loop), read back a chunk at a time, received into a temporary file; and a crash at any step
 * of a write leaves the previous snapshot and the WAL as they were.
 */
class SnapshotStreamingTest {

    private static final Path DIR = Path.of("/var/lib/raftkv/n1");
    private static final List<String> MEMBERS = List.of("n1", "n2", "n3");

    private static LogEntry put(long index, String name) {
        return new LogEntry(1, index, new Command.Put("id" + index, name), null);
    }

    private static List<LogEntry> puts(long from, long to) {
        List<LogEntry> entries = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            entries.add(put(i, "name-" + i));
        }
        return entries;
    }

    private static KvStore applied(List<LogEntry> entries) {
        KvStore kv = new KvStore();
        entries.forEach(kv::apply);
        return kv;
    }

    private static SnapshotJob job(KvStore kv) {
        return new SnapshotJob(kv.lastApplied(), 1, ClusterConfig.ofVoterIds(MEMBERS), kv.freeze());
    }

    /** The map a node restarting from {@code storage} rebuilds: the snapshot, then the entries after it. */
    private static SortedMap<String, String> restartedMap(DiskStorage storage) {
        KvStore kv = new KvStore();
        storage.recoveredSnapshot().ifPresent(kv::restore);
        storage.recoveredEntries().stream().filter(e -> e.index() > kv.lastApplied()).forEach(kv::apply);
        return kv.copyOfMap();
    }

    private static byte[] readByChunks(SnapshotData data, int chunk) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (long offset = 0; offset < data.size(); offset += chunk) {
            all.writeBytes(data.read(offset, chunk));
        }
        return all.toByteArray();
    }

    @Test
    void aSnapshotWriteInterruptedAtEveryStepLeavesThePreviousSnapshotAndTheWal() throws IOException {
        KvStore atTen = applied(puts(1, 10));
        for (long crashAt = 0; ; crashAt++) {
            CrashingFileSystem fs = new CrashingFileSystem();
            try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
                storage.persist(new HardState(1, "n1"), 0, puts(1, 10));
                storage.saveSnapshot(job(applied(puts(1, 4))).inMemory(), 3);
            }
            DiskStorage writing = DiskStorage.open(fs, DIR);
            fs.crashBeforeOperation(crashAt);
            boolean written = false;
            try {
                writing.writeSnapshot(job(applied(puts(1, 8)))); // the writer thread's part: no WAL cut
                written = true;
            } catch (CrashingFileSystem.PowerLoss expected) {
                // the machine went down while the snapshot was being written
            }
            if (!written) {
                writing = null; // died with the machine: its handles are gone
            } else {
                writing.close();
                fs.disk.crash(); // everything it promised must survive a power loss now
            }
            try (DiskStorage recovered = DiskStorage.open(fs.disk, DIR)) {
                long snapshotIndex = recovered.recoveredSnapshot().orElseThrow().lastIncludedIndex();
                assertThat(snapshotIndex).as("crash at %d", crashAt).isIn(4L, 8L);
                if (written) {
                    assertThat(snapshotIndex).as("crash at %d", crashAt).isEqualTo(8);
                }
                assertThat(restartedMap(recovered)).as("crash at %d", crashAt).isEqualTo(atTen.copyOfMap());
                assertThat(fs.disk.list(DIR)).as("crash at %d", crashAt)
                        .noneMatch(p -> p.toString().endsWith(AtomicFileWriter.TEMP_SUFFIX));
            }
            if (written) {
                assertThat(crashAt).as("crash points covered").isGreaterThanOrEqualTo(5);
                return;
            }
        }
    }

    @Test
    void aSnapshotBiggerThanTheWriteBufferIsStreamedAndReadBackByChunks() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        KvStore kv = new KvStore();
        for (long i = 1; i <= 20_000; i++) {
            kv.apply(put(i, "n".repeat(100) + i));
        }
        byte[] encoding = kv.snapshotBytes();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, List.of(put(1, "x")));
            storage.writeSnapshot(job(kv));
        }
        fs.crash();
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            Snapshot snapshot = reopened.recoveredSnapshot().orElseThrow();
            assertThat(snapshot.size()).isEqualTo(encoding.length).isGreaterThan(2_000_000);
            assertThat(readByChunks(snapshot.data(), 256 * 1024)).isEqualTo(encoding);
            KvStore restored = new KvStore();
            restored.restore(snapshot);
            assertThat(restored.snapshotBytes()).isEqualTo(encoding);
        }
    }

    /** A leader's pinned transfer reads on after newer snapshots replaced its file (an open file outlives its deletion). */
    @Test
    void aSnapshotBeingReadStaysReadableAfterNewerSnapshotsDeleteItsFile(@TempDir Path dir) throws IOException {
        for (FileSystem fs : List.<FileSystem>of(new StrictMemFileSystem(), new RealFileSystem())) {
            Path dataDir = fs instanceof RealFileSystem ? dir : DIR;
            try (DiskStorage storage = DiskStorage.open(fs, dataDir)) {
                KvStore kv = applied(puts(1, 3000));
                Snapshot pinned = storage.writeSnapshot(job(kv));
                byte[] expected = kv.snapshotBytes();
                byte[] first = pinned.data().read(0, 1000); // the transfer starts
                for (long index = 3001; index <= 3003; index++) {
                    kv.thaw();
                    kv.apply(put(index, "later"));
                    storage.saveSnapshot(storage.writeSnapshot(job(kv)), index);
                }
                assertThat(fs.exists(dataDir.resolve(SnapshotFiles.nameOf(3000)))).as("deleted").isFalse();
                byte[] rest = pinned.data().read(1000, expected.length);
                ByteArrayOutputStream all = new ByteArrayOutputStream();
                all.writeBytes(first);
                all.writeBytes(rest);
                assertThat(all.toByteArray()).as("on %s", fs.getClass().getSimpleName()).isEqualTo(expected);
            }
        }
    }

    @Test
    void aReceivedSnapshotIsATemporaryFileUntilInstalled_Figure5_3Rules2To5() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        byte[] state = applied(puts(1, 500)).snapshotBytes();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(new HardState(2, null), 0, puts(1, 3));
            receive(storage.snapshotSink(), state); // all chunks arrived, the install did not happen
        }
        fs.crash();
        Snapshot installed;
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot()).isEmpty(); // nothing was installed
            assertThat(reopened.recoveredEntries()).hasSize(3);
            assertThat(fs.list(DIR)).noneMatch(p -> p.toString().endsWith(AtomicFileWriter.TEMP_SUFFIX));
            installed = new Snapshot(500, 1, MEMBERS, receive(reopened.snapshotSink(), state));
            reopened.installSnapshot(installed);
            assertThat(readByChunks(installed.data(), 777)).isEqualTo(state); // readable where it was published
        }
        fs.crash();
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            Snapshot snapshot = reopened.recoveredSnapshot().orElseThrow();
            assertThat(snapshot.lastIncludedIndex()).isEqualTo(500);
            assertThat(snapshot.data().readAll()).isEqualTo(state);
            assertThat(reopened.recoveredEntries()).isEmpty(); // "7. Discard the entire log"
        }
    }

    /** A later leader's first chunk stepped in the same turn as the last chunk of the snapshot being installed. */
    @Test
    void aTransferStartedBeforeTheInstallDoesNotTakeTheFinishedSnapshotAway() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        byte[] state = applied(puts(1, 500)).snapshotBytes();
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            SnapshotSink sink = storage.snapshotSink();
            Snapshot finished = new Snapshot(500, 1, MEMBERS, receive(sink, state));
            sink.begin(600, 2, ClusterConfig.ofVoterIds(MEMBERS));
            sink.append(new byte[] {1, 2, 3});
            storage.installSnapshot(finished);
            assertThat(finished.data().readAll()).isEqualTo(state);
        }
        fs.crash();
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot().orElseThrow().data().readAll()).isEqualTo(state);
        }
    }

    private static SnapshotData receive(SnapshotSink sink, byte[] state) {
        sink.begin(500, 1, ClusterConfig.ofVoterIds(MEMBERS));
        for (int offset = 0; offset < state.length; offset += 1000) {
            sink.append(java.util.Arrays.copyOfRange(state, offset, Math.min(state.length, offset + 1000)));
        }
        return sink.finish();
    }

    @Test
    void aVersion1SnapshotFileIsStillRead() throws IOException {
        StrictMemFileSystem fs = new StrictMemFileSystem();
        fs.createDirectoriesDurably(DIR);
        byte[] data = "the state at 7".getBytes();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(0x52_4B_53_4E); // "RKSN"
        out.writeInt(1);
        out.writeLong(7);
        out.writeLong(2);
        out.writeInt(MEMBERS.size());
        for (String member : MEMBERS) {
            out.writeUTF(member);
        }
        out.writeInt(data.length);
        out.write(data);
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        try (FileHandle file = fs.openTruncated(DIR.resolve(SnapshotFiles.nameOf(7)))) {
            file.write(bytes.toByteArray());
        }
        List<SnapshotFiles.Found> found = new SnapshotFiles(fs, DIR).loadAll();
        assertThat(found).singleElement().isInstanceOfSatisfying(SnapshotFiles.Found.Valid.class, valid -> {
            assertThat(valid.snapshot().lastIncludedTerm()).isEqualTo(2);
            assertThat(valid.snapshot().configuration()).isEqualTo(ClusterConfig.ofVoterIds(MEMBERS));
            assertThat(valid.snapshot().data().readAll()).isEqualTo(data);
        });
    }
}
