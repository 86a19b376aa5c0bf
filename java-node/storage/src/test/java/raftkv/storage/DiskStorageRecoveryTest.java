package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.core.LogEntry;
import raftkv.core.Snapshot;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * What a data directory keeps across restarts beside the newest snapshot: the WAL entries an older
 * snapshot still needs, no snapshot files older than {@link SnapshotFiles#KEEP} after an install, a
 * snapshot file of its own for whatever snapshot it is given, and the count of torn bytes it cut.
 */
class DiskStorageRecoveryTest {

    private static final Path DIR = Path.of("/var/lib/raftkv/n1");
    private static final List<String> MEMBERS = List.of("n1", "n2", "n3");

    private final StrictMemFileSystem fs = new StrictMemFileSystem();

    private static Snapshot snapshot(long index) {
        return new Snapshot(index, 1, MEMBERS, ("state at " + index).getBytes());
    }

    private List<String> snapshotFiles(Path dir) throws IOException {
        return fs.list(dir).stream().map(p -> p.getFileName().toString()).filter(n -> n.startsWith("snapshot-"))
                .toList();
    }

    /** A byte in the middle of a file flipped, durably: damage on the disk. */
    private void damage(Path file) throws IOException {
        byte[] bytes = fs.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x40;
        try (FileHandle handle = fs.openTruncated(file)) {
            handle.write(bytes);
            handle.sync();
        }
    }

    /**
     * A WAL that ends exactly at the newest snapshot still holds the entries after the older one: a
     * restart must keep them (Figure 5.3 rule 6: the log continues the snapshot), because they are
     * what lets the older snapshot stand in if the newest is damaged later.
     */
    @Test
    void aRestartKeepsTheWalEntriesThatLetAnOlderSnapshotStandInForTheNewest_Figure5_3Rule6() throws IOException {
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 10));
            storage.saveSnapshot(snapshot(7), 6);
            storage.saveSnapshot(snapshot(10), 6); // the WAL keeps 6..10: it ends at the newest snapshot
        }
        try (DiskStorage restarted = DiskStorage.open(fs, DIR)) {
            assertThat(restarted.recoveredSnapshot().map(Snapshot::lastIncludedIndex)).contains(10L);
            assertThat(restarted.recoveredEntries()).isEmpty();
        }

        damage(DIR.resolve(SnapshotFiles.nameOf(10)));

        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.recoveredSnapshot().map(Snapshot::lastIncludedIndex)).contains(7L);
            assertThat(reopened.recoveredEntries()).isEqualTo(WalFixture.entries(1, 8, 10));
        }
    }

    @Test
    void anInstalledSnapshotLeavesOnlyTheNewestSnapshotFiles() throws IOException {
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 9));
            storage.saveSnapshot(snapshot(3), 1);
            storage.saveSnapshot(snapshot(6), 1);
            storage.installSnapshot(snapshot(20));
            assertThat(snapshotFiles(DIR)).as("the KEEP = 2 newest, right after the install")
                    .containsExactly(SnapshotFiles.nameOf(6), SnapshotFiles.nameOf(20));
        }
    }

    /**
     * installSnapshot skips writing only a snapshot whose data already is this directory's file for
     * its index; data in a file of another directory (another node's, on the same disk) is copied,
     * or a power loss would leave this node with an empty WAL and no snapshot.
     */
    @Test
    void aSnapshotWhoseDataLiesInAnotherDirectoryIsWrittenIntoThisOne() throws IOException {
        Path other = Path.of("/var/lib/raftkv/n2");
        try (DiskStorage leader = DiskStorage.open(fs, other)) {
            leader.persist(null, 0, WalFixture.entries(1, 1, 5));
            leader.saveSnapshot(snapshot(5), 6);
        }
        Snapshot leadersFileBacked;
        try (DiskStorage leader = DiskStorage.open(fs, other)) {
            leadersFileBacked = leader.recoveredSnapshot().orElseThrow();
        }
        try (DiskStorage follower = DiskStorage.open(fs, DIR)) {
            follower.installSnapshot(leadersFileBacked);
        }

        fs.crash();

        assertThat(snapshotFiles(DIR)).containsExactly(SnapshotFiles.nameOf(5));
        try (DiskStorage follower = DiskStorage.open(fs, DIR)) {
            Snapshot recovered = follower.recoveredSnapshot().orElseThrow();
            assertThat(recovered.lastIncludedIndex()).isEqualTo(5);
            assertThat(recovered.data().readAll()).isEqualTo(snapshot(5).data().readAll());
        }
    }

    @Test
    void theTornTailCutOffAtOpenIsReportedInBytes() throws IOException {
        try (DiskStorage storage = DiskStorage.open(fs, DIR)) {
            storage.persist(null, 0, WalFixture.entries(1, 1, 3));
            assertThat(storage.tornTailBytes()).isZero();
        }
        try (FileHandle wal = fs.openAppending(DIR.resolve(DiskStorage.WAL_FILE))) {
            wal.write(new byte[] {0x52, 0x4B, 0x56, 0x32, 0}); // a record header cut short by a crash
            wal.sync();
        }
        try (DiskStorage reopened = DiskStorage.open(fs, DIR)) {
            assertThat(reopened.tornTailBytes()).isEqualTo(5);
            List<LogEntry> entries = reopened.recoveredEntries();
            assertThat(entries).isEqualTo(WalFixture.entries(1, 1, 3));
        }
    }
}
