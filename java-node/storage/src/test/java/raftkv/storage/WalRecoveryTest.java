package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static raftkv.storage.WalFixture.entries;
import static raftkv.storage.WalFixture.put;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import raftkv.core.LogEntry;

/**
 * Records that pass every framing check (magic, length, checksum) but whose content cannot be what a
 * {@link Wal} wrote: replay must tell them from a torn tail, record by record.
 */
class WalRecoveryTest {

    private final WalFixture wal = new WalFixture();
    private final ByteArrayOutputStream file = new ByteArrayOutputStream();

    WalRecoveryTest() throws IOException {
        file.writeBytes(ByteBuffer.allocate(Wal.FILE_HEADER_BYTES).putInt(Wal.FILE_MAGIC).putInt(Wal.VERSION).array());
    }

    /** Appends a well-framed record declaring {@code syncedOffset}; returns the offset it starts at. */
    private int record(long syncedOffset, byte[] payload) {
        int at = file.size();
        ByteBuffer header = ByteBuffer.allocate(Wal.RECORD_HEADER_BYTES).putInt(Wal.RECORD_MAGIC)
                .putInt(payload.length).putLong(syncedOffset);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 4, 12);
        crc.update(payload);
        header.putInt((int) crc.getValue());
        file.writeBytes(header.array());
        file.writeBytes(payload);
        return at;
    }

    private static byte[] entry(LogEntry entry) {
        byte[] body = EntryCodec.toBytes(entry);
        return ByteBuffer.allocate(1 + body.length).put(Wal.ENTRY).put(body).array();
    }

    private static byte[] truncate(long from) {
        return ByteBuffer.allocate(9).put(Wal.TRUNCATE).putLong(from).array();
    }

    private List<LogEntry> replay() throws IOException {
        wal.overwrite(file.toByteArray());
        return wal.reopen();
    }

    @Test
    void aValidRecordWhoseEntryDoesNotFollowTheLogIsCorruption() throws IOException {
        record(8, entry(put(1, 1, "a")));
        record(8, entry(put(1, 3, "c"))); // entry 2 is missing

        assertThatThrownBy(this::replay).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("does not follow entry 1");
    }

    @Test
    void aTruncationFromBeyondTheLogsEndIsCorruption() throws IOException {
        record(8, entry(put(1, 1, "a")));
        record(8, truncate(3));

        assertThatThrownBy(this::replay).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("truncation from 3");
    }

    @Test
    void aTruncationFromIndexZeroIsCorruption() throws IOException {
        record(8, entry(put(1, 1, "a")));
        record(8, truncate(0));

        assertThatThrownBy(this::replay).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("truncation from 0");
    }

    @Test
    void aTruncationJustPastTheEndDropsNothing() throws IOException {
        record(8, entry(put(1, 1, "a")));
        record(8, truncate(2));

        assertThat(replay()).containsExactly(put(1, 1, "a"));
    }

    @Test
    void aTruncationInACutWalCountsFromItsFirstEntry() throws IOException {
        for (LogEntry e : entries(2, 5, 7)) {
            record(8, entry(e));
        }
        record(8, truncate(6));

        assertThat(replay()).as("entries 6 and 7 dropped, 5 kept").containsExactly(put(2, 5, "id5"));
    }

    @Test
    void aTruncationBelowACutWalsFirstEntryEmptiesIt() throws IOException {
        for (LogEntry e : entries(2, 5, 7)) {
            record(8, entry(e));
        }
        record(8, truncate(3));

        assertThat(replay()).isEmpty();
    }

    @Test
    void aRecordMayNameTheFsyncRightBeforeIt() throws IOException {
        record(8, entry(put(1, 1, "a")));
        int second = file.size();
        record(second, entry(put(1, 2, "b")));

        assertThat(replay()).containsExactly(put(1, 1, "a"), put(1, 2, "b"));
    }

    @Test
    void aRecordNamingAnFsyncAfterItselfIsATornTailNotARecord() throws IOException {
        record(8, entry(put(1, 1, "a")));
        int second = file.size();
        record(second + 1, entry(put(1, 2, "b")));

        assertThat(replay()).containsExactly(put(1, 1, "a"));
        assertThat(wal.size()).as("the impossible record cut off").isEqualTo(second);
    }

    @Test
    void aRecordNamingAnFsyncInsideTheFileHeaderIsATornTailNotARecord() throws IOException {
        record(8, entry(put(1, 1, "a")));
        record(7, entry(put(1, 2, "b")));

        assertThat(replay()).containsExactly(put(1, 1, "a"));
    }

    @Test
    void aRecordWithBytesAfterItsPayloadOrOfAnUnknownTypeIsATornTailNotARecord() throws IOException {
        record(8, entry(put(1, 1, "a")));
        byte[] padded = entry(put(1, 2, "b"));
        record(8, java.util.Arrays.copyOf(padded, padded.length + 1));
        assertThat(replay()).as("a byte after the entry").containsExactly(put(1, 1, "a"));

        file.reset();
        file.writeBytes(ByteBuffer.allocate(Wal.FILE_HEADER_BYTES).putInt(Wal.FILE_MAGIC).putInt(Wal.VERSION).array());
        record(8, entry(put(1, 1, "a")));
        record(8, new byte[] {3, 0, 0, 0, 0, 0, 0, 0, 1});
        assertThat(replay()).as("record type 3").containsExactly(put(1, 1, "a"));
    }

    @Test
    void aWalOfAnotherVersionIsRefused() throws IOException {
        wal.overwrite(ByteBuffer.allocate(64).putInt(Wal.FILE_MAGIC).putInt(Wal.VERSION + 1).array());

        assertThatThrownBy(wal::reopen).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("unknown header");
    }

    @Test
    void aWalWithAnotherMagicIsRefusedThoughItsVersionIsRight() throws IOException {
        record(8, entry(put(1, 1, "a")));
        byte[] bytes = file.toByteArray();
        bytes[0] ^= 0x01;
        wal.overwrite(bytes);

        assertThatThrownBy(wal::reopen).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("unknown header");
    }

    /** A file of exactly a header's length is read as one: another kind of file is refused, not emptied. */
    @Test
    void aBareHeaderOfAnotherKindIsRefusedNotRewritten() throws IOException {
        byte[] foreign = ByteBuffer.allocate(Wal.FILE_HEADER_BYTES).putInt(0x1234_5678).putInt(Wal.VERSION).array();
        wal.overwrite(foreign);

        assertThatThrownBy(wal::reopen).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("unknown header");
        assertThat(wal.fs.readAllBytes(wal.file)).isEqualTo(foreign);
    }

    @Test
    void aRecordWhosePayloadEndsInsideItsEntryIsATornTailNotARecord() throws IOException {
        record(8, entry(put(1, 1, "a")));
        byte[] second = entry(put(1, 2, "b"));
        int at = record(8, java.util.Arrays.copyOf(second, second.length - 3)); // the session's sequence cut short

        assertThat(replay()).containsExactly(put(1, 1, "a"));
        assertThat(wal.size()).as("cut off").isEqualTo(at);
    }

    /**
     * After damage, recovery looks for a record at every later byte. A payload may hold anything, a
     * record header's magic followed by a negative length too (here inside a name: "RKV2" and "ÿÿ",
     * whose UTF-8 bytes C3 BF C3 BF read as a negative int, and enough bytes after them for a
     * header): that is no record, and the damaged record is still a torn tail, not a failure to open.
     */
    @Test
    void bytesThatLookLikeARecordWithANegativeLengthAreNoRecord() throws IOException {
        record(8, entry(put(1, 1, "a")));
        LogEntry lookalike = new LogEntry(1, 2, new raftkv.core.Command.Put("b", "RKV2\u00ff\u00ff" + "x".repeat(24)),
                null);
        int second = record(8, entry(lookalike));
        byte[] bytes = file.toByteArray();
        bytes[bytes.length - 1] ^= 0x01; // the second record's checksum no longer holds
        file.reset();
        file.writeBytes(bytes);

        assertThat(replay()).containsExactly(put(1, 1, "a"));
        assertThat(wal.size()).as("cut off").isEqualTo(second);
    }

    @Test
    void theBytesOfATornTailAreCountedWhenTheWalOpens() throws IOException {
        wal.write(0, entries(1, 1, 2));
        long intact = wal.size();
        wal.appendRaw(new byte[] {0x52, 0x4B, 0x56, 0x32, 0, 0, 0}); // a record header cut short

        try (Wal open = wal.open()) {
            assertThat(open.tornTailBytes()).isEqualTo(7);
        }
        assertThat(wal.size()).isEqualTo(intact);
        try (Wal open = wal.open()) {
            assertThat(open.tornTailBytes()).as("nothing left to cut").isZero();
        }
    }

    @Test
    void aTruncationFirstInAWalThatHoldsNoEntryIsReplayed() throws IOException {
        record(8, truncate(21)); // after an installed snapshot at 20 emptied the WAL, a new leader's suffix
        record(8, entry(put(3, 21, "u")));

        assertThat(replay()).containsExactly(put(3, 21, "u"));
    }

    @Test
    void aRecordWithADamagedMagicIsNotARecordThoughItsChecksumHolds() throws IOException {
        record(8, entry(put(1, 1, "a")));
        int second = record(8, entry(put(1, 2, "b")));
        byte[] bytes = file.toByteArray();
        bytes[second] ^= 0x01; // the checksum does not cover the magic
        file.reset();
        file.writeBytes(bytes);

        assertThat(replay()).containsExactly(put(1, 1, "a"));
    }
}
