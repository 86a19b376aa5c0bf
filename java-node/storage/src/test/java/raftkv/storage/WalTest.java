package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.storage.WalFixture.concat;
import static raftkv.storage.WalFixture.entries;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Session;

class WalTest {

    private final WalFixture wal = new WalFixture();

    WalTest() throws IOException {}

    @Test
    void entriesOfEveryCommandKindSurviveRestart() throws IOException {
        List<LogEntry> written = List.of(
                new LogEntry(1, 1, new Command.Noop(), null),
                new LogEntry(1, 2, new Command.Put("alice", "Alice"), new Session("c1", 1)),
                new LogEntry(2, 3, new Command.Cas("alice", "Alice", "Alicia ñ 名前"), null),
                new LogEntry(2, 4, new Command.Delete("alice"), new Session("c1", 2)),
                new LogEntry(2, 5, new Command.OpenSession(), null));
        wal.write(0, written);

        assertThat(wal.reopen()).isEqualTo(written);
    }

    @Test
    void appendsAcrossRestartsAccumulate() throws IOException {
        wal.write(0, entries(1, 1, 3));
        wal.write(0, entries(2, 4, 5));

        assertThat(wal.reopen()).isEqualTo(concat(entries(1, 1, 3), entries(2, 4, 5)));
    }

    @Test
    void truncationMarkerDropsTheSuffixOnReplay() throws IOException {
        wal.write(0, entries(1, 1, 5));
        wal.write(3, entries(2, 3, 4)); // a new leader overwrote 3..5 with its own 3..4

        assertThat(wal.reopen()).isEqualTo(concat(entries(1, 1, 2), entries(2, 3, 4)));
    }

    @Test
    void truncatingEverythingLeavesAnEmptyLog() throws IOException {
        wal.write(0, entries(1, 1, 3));
        wal.write(1, List.of());

        assertThat(wal.reopen()).isEmpty();
    }

    @Test
    void syncedRecordsSurviveAPowerLoss() throws IOException {
        Wal open = wal.open();
        open.append(0, entries(1, 1, 3));
        open.sync();

        wal.fs.crash();

        assertThat(wal.reopen()).as("entries fsynced before the power loss").isEqualTo(entries(1, 1, 3));
    }

    @Test
    void recordsNeverSyncedAreDroppedQuietlyAtAPowerLoss() throws IOException {
        Wal open = wal.open();
        open.append(0, entries(1, 1, 2));
        open.sync();
        open.append(0, entries(1, 3, 4));

        wal.fs.crash();

        assertThat(wal.reopen()).isEqualTo(entries(1, 1, 2));
    }

    @Test
    void whatRecoveryReadIsDurableBeforeTheNodeActsOnIt() throws IOException {
        try (Wal open = wal.open()) {
            open.append(0, entries(1, 1, 2)); // the process died before its fsync; the page cache kept it
        }
        assertThat(wal.reopen()).isEqualTo(entries(1, 1, 2));

        wal.fs.crash();

        assertThat(wal.reopen()).isEqualTo(entries(1, 1, 2));
    }

    @Test
    void aTornLastRecordIsDroppedAndCutOffTheFile() throws IOException {
        wal.write(0, entries(1, 1, 3));
        long intactLength = wal.size();
        wal.write(0, entries(1, 4, 4));
        wal.cutTo(wal.size() - 5); // the crash interrupted the write of entry 4

        assertThat(wal.reopen()).isEqualTo(entries(1, 1, 3));
        assertThat(wal.size()).isEqualTo(intactLength);
        // And the log goes on from there.
        wal.write(0, entries(2, 4, 5));
        assertThat(wal.reopen()).isEqualTo(concat(entries(1, 1, 3), entries(2, 4, 5)));
    }

    @Test
    void aTornRecordHeaderIsDroppedToo() throws IOException {
        wal.write(0, entries(1, 1, 2));
        long intactLength = wal.size();
        wal.appendRaw(new byte[] {0x52, 0x4B});

        assertThat(wal.reopen()).isEqualTo(entries(1, 1, 2));
        assertThat(wal.size()).isEqualTo(intactLength);
    }

    @Test
    void aZeroFilledTailIsDropped() throws IOException {
        wal.write(0, entries(1, 1, 2));
        wal.appendRaw(new byte[4096]);

        assertThat(wal.reopen()).isEqualTo(entries(1, 1, 2));
    }

    @Test
    void damageInTheLastSyncedBatchCannotBeToldFromATornTail() throws IOException {
        wal.write(0, entries(1, 1, 3)); // one batch: no later record vouches that it was fsynced
        wal.flipByte(wal.size() - 3);

        assertThat(wal.reopen()).as("the documented limit: cut off like a torn tail").isEqualTo(entries(1, 1, 2));
    }

    @Test
    void aFlippedByteBeforeTheSyncedOffsetRefusesToStart() throws IOException {
        wal.write(0, entries(1, 1, 2));
        long secondRecordPayload = wal.size() - 10;
        wal.write(0, entries(1, 3, 5)); // these records declare the first batch fsynced
        wal.flipByte(secondRecordPayload);

        assertThatThrownBy(wal::reopen)
                .isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("corrupted at byte")
                .hasMessageContaining("once durable")
                .hasMessageContaining("restore this node's data directory");
    }

    @Test
    void aDamagedLengthFieldBeforeTheSyncedOffsetIsNotMistakenForATornTail() throws IOException {
        wal.write(0, entries(1, 1, 1));
        wal.write(0, entries(1, 2, 3));
        wal.flipByte(Wal.FILE_HEADER_BYTES + 5); // the first record's length: its extent is now unknown

        assertThatThrownBy(wal::reopen).isInstanceOf(StorageCorruptedException.class);
    }

    @Test
    void aVersion1FileIsRefusedWithItsVersionNamed() throws IOException {
        wal.overwrite(ByteBuffer.allocate(64).putInt(Wal.VERSION_1_MAGIC).putInt(9).array());

        assertThatThrownBy(wal::reopen).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("format version 1 (RKV1)");
    }

    @Test
    void aFileOfGarbageIsRefusedRatherThanEmptied() throws IOException {
        byte[] garbage = new byte[300];
        new java.util.SplittableRandom(7).nextBytes(garbage);
        wal.overwrite(garbage);

        assertThatThrownBy(wal::reopen).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("unknown header");
        assertThat(wal.size()).as("nothing cut").isEqualTo(300);
    }

    @Test
    void aCreationCutShortByACrashStartsAnEmptyLog() throws IOException {
        wal.overwrite(new byte[] {0x52, 0x4B, 0x56});

        assertThat(wal.reopen()).isEmpty();
        wal.write(0, entries(1, 1, 1));
        assertThat(wal.reopen()).isEqualTo(entries(1, 1, 1));
    }

    @Test
    void appendRefusesAGapInIndexes() throws IOException {
        try (Wal open = wal.open()) {
            open.append(0, entries(1, 1, 2));
            assertThatThrownBy(() -> open.append(0, entries(1, 4, 4))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void appendRefusesATruncationBeyondTheLogsEnd() throws IOException {
        try (Wal open = wal.open()) {
            open.append(0, entries(1, 1, 2));
            assertThatThrownBy(() -> open.append(4, List.of())).isInstanceOf(IllegalArgumentException.class);

            open.append(3, entries(2, 3, 3)); // from just past the end: nothing to drop, and allowed
            open.sync();
        }
        assertThat(wal.reopen()).isEqualTo(concat(entries(1, 1, 2), entries(2, 3, 3)));
    }
}
