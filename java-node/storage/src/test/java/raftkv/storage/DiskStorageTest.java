package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.core.HardState;
import raftkv.core.LogEntry;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.StrictMemFileSystem;

class DiskStorageTest {

    private final StrictMemFileSystem fs = new StrictMemFileSystem();
    private final Path dataDir = Path.of("/var/lib/raftkv/n1"); // nothing of it exists on first boot

    @Test
    void aFirstVoteInAFreshDataDirectorySurvivesAPowerLoss() throws IOException {
        try (DiskStorage storage = DiskStorage.open(fs, dataDir)) {
            storage.persist(new HardState(1, "n2"), 0, List.of());
        }

        fs.crash();

        try (DiskStorage storage = DiskStorage.open(fs, dataDir)) {
            assertThat(storage.recoveredHardState()).as("the first vote, after a power loss")
                    .isEqualTo(new HardState(1, "n2"));
        }
    }

    @Test
    void persistedVoteAndEntriesSurviveAPowerLoss() throws IOException {
        List<LogEntry> first = WalFixture.entries(2, 1, 3);
        List<LogEntry> second = WalFixture.entries(3, 3, 4);
        DiskStorage storage = DiskStorage.open(fs, dataDir);
        storage.persist(new HardState(2, "n1"), 0, first);
        storage.persist(new HardState(3, "n3"), 3, second);

        fs.crash(); // no close: the machine lost power

        try (DiskStorage reopened = DiskStorage.open(fs, dataDir)) {
            assertThat(reopened.recoveredHardState()).isEqualTo(new HardState(3, "n3"));
            assertThat(reopened.recoveredEntries()).isEqualTo(WalFixture.concat(first.subList(0, 2), second));
        }
    }

    @Test
    void aWalOfGarbageRefusesToStartWithAClearMessage() throws IOException {
        DiskStorage.open(fs, dataDir).close();
        try (FileHandle handle = fs.openTruncated(dataDir.resolve(DiskStorage.WAL_FILE))) {
            handle.write("not a log at all, just some text".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            handle.sync();
        }

        assertThatThrownBy(() -> DiskStorage.open(fs, dataDir)).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining(DiskStorage.WAL_FILE)
                .hasMessageContaining("Refusing to start");
    }

    @Test
    void aCorruptHardStateFileRefusesToStartWithAClearMessage() throws IOException {
        try (DiskStorage storage = DiskStorage.open(fs, dataDir)) {
            storage.persist(new HardState(5, "n1"), 0, List.of());
        }
        try (FileHandle handle = fs.openAppending(dataDir.resolve(DiskStorage.HARD_STATE_FILE))) {
            handle.write(new byte[] {1});
            handle.sync();
        }

        assertThatThrownBy(() -> DiskStorage.open(fs, dataDir)).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining(DiskStorage.HARD_STATE_FILE)
                .hasMessageContaining("Refusing to start");
    }

    @Test
    void aTruncationWithNoNewEntriesIsPersistedToo() throws IOException {
        DiskStorage storage = DiskStorage.open(fs, dataDir);
        storage.persist(new HardState(2, "n1"), 0, WalFixture.entries(2, 1, 3));
        storage.persist(null, 2, List.of()); // a new leader's log ends at 1: only the truncation

        fs.crash();

        try (DiskStorage reopened = DiskStorage.open(fs, dataDir)) {
            assertThat(reopened.recoveredEntries()).isEqualTo(WalFixture.entries(2, 1, 1));
            assertThat(reopened.recoveredHardState()).as("no hard state to save: the old one stays")
                    .isEqualTo(new HardState(2, "n1"));
        }
    }
}
