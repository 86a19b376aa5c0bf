package raftkv.server.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Session;

class WalTest {

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("raft.wal");
    }

    private static LogEntry put(long term, long index, String id) {
        return new LogEntry(term, index, new Command.Put(id, "name-" + index), new Session("client", index));
    }

    private static List<LogEntry> entries(long term, long from, long to) {
        List<LogEntry> list = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            list.add(put(term, i, "id" + i));
        }
        return list;
    }

    private void write(long truncateFrom, List<LogEntry> entries) throws IOException {
        try (Wal wal = Wal.open(file())) {
            wal.append(truncateFrom, entries);
            wal.sync();
        }
    }

    private List<LogEntry> reopen() throws IOException {
        try (Wal wal = Wal.open(file())) {
            return wal.recoveredEntries();
        }
    }

    @Test
    void entriesOfEveryCommandKindSurviveRestart() throws IOException {
        List<LogEntry> written = List.of(
                new LogEntry(1, 1, new Command.Noop(), null),
                new LogEntry(1, 2, new Command.Put("alice", "Alice"), new Session("c1", 1)),
                new LogEntry(2, 3, new Command.Cas("alice", "Alice", "Alicia ñ 名前"), null),
                new LogEntry(2, 4, new Command.Delete("alice"), new Session("c1", 2)));
        write(0, written);

        assertThat(reopen()).isEqualTo(written);
    }

    @Test
    void appendsAcrossRestartsAccumulate() throws IOException {
        write(0, entries(1, 1, 3));
        write(0, entries(2, 4, 5));

        assertThat(reopen()).isEqualTo(concat(entries(1, 1, 3), entries(2, 4, 5)));
    }

    @Test
    void truncationMarkerDropsTheSuffixOnReplay() throws IOException {
        write(0, entries(1, 1, 5));
        write(3, entries(2, 3, 4)); // a new leader overwrote 3..5 with its own 3..4

        assertThat(reopen()).isEqualTo(concat(entries(1, 1, 2), entries(2, 3, 4)));
    }

    @Test
    void truncatingEverythingLeavesAnEmptyLog() throws IOException {
        write(0, entries(1, 1, 3));
        write(1, List.of());

        assertThat(reopen()).isEmpty();
    }

    @Test
    void tornLastRecordIsDroppedAndCutOffTheFile() throws IOException {
        write(0, entries(1, 1, 3));
        long intactLength = Files.size(file());
        write(0, entries(1, 4, 4));
        long fullLength = Files.size(file());
        truncateFile(fullLength - 5); // the crash interrupted the write of entry 4

        assertThat(reopen()).isEqualTo(entries(1, 1, 3));
        assertThat(Files.size(file())).isEqualTo(intactLength);
        // And the log goes on from there.
        write(0, entries(2, 4, 5));
        assertThat(reopen()).isEqualTo(concat(entries(1, 1, 3), entries(2, 4, 5)));
    }

    @Test
    void tornHeaderIsDroppedToo() throws IOException {
        write(0, entries(1, 1, 2));
        long intactLength = Files.size(file());
        Files.write(file(), new byte[] {0x52, 0x4B}, StandardOpenOption.APPEND);

        assertThat(reopen()).isEqualTo(entries(1, 1, 2));
        assertThat(Files.size(file())).isEqualTo(intactLength);
    }

    @Test
    void zeroFilledTailIsDropped() throws IOException {
        write(0, entries(1, 1, 2));
        Files.write(file(), new byte[4096], StandardOpenOption.APPEND);

        assertThat(reopen()).isEqualTo(entries(1, 1, 2));
    }

    @Test
    void flippedByteInTheLastRecordCountsAsATornTail() throws IOException {
        write(0, entries(1, 1, 3));
        flipByte(Files.size(file()) - 3);

        assertThat(reopen()).isEqualTo(entries(1, 1, 2));
    }

    @Test
    void flippedByteInAMiddleRecordRefusesToStart() throws IOException {
        write(0, entries(1, 1, 2));
        long secondRecordPayload = Files.size(file()) - 10;
        write(0, entries(1, 3, 5));
        flipByte(secondRecordPayload);

        assertThatThrownBy(this::reopen)
                .isInstanceOf(WalCorruptedException.class)
                .hasMessageContaining("corrupted at byte");
    }

    @Test
    void damagedLengthFieldInTheMiddleIsNotMistakenForATornTail() throws IOException {
        write(0, entries(1, 1, 1));
        write(0, entries(1, 2, 3));
        flipByte(5); // inside the first record's length field: its extent is now unknown

        assertThatThrownBy(this::reopen).isInstanceOf(WalCorruptedException.class);
    }

    @Test
    void appendRefusesAGapInIndexes() throws IOException {
        try (Wal wal = Wal.open(file())) {
            wal.append(0, entries(1, 1, 2));
            assertThatThrownBy(() -> wal.append(0, entries(1, 4, 4))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    private void truncateFile(long length) throws IOException {
        try (var channel = FileChannel.open(file(), StandardOpenOption.WRITE)) {
            channel.truncate(length);
        }
    }

    private void flipByte(long offset) throws IOException {
        byte[] bytes = Files.readAllBytes(file());
        bytes[(int) offset] ^= 0x40;
        Files.write(file(), bytes);
    }

    private static List<LogEntry> concat(List<LogEntry> a, List<LogEntry> b) {
        List<LogEntry> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
