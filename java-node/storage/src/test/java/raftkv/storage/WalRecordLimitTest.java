package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Member;

/**
 * A WAL record's payload is at most {@link Wal#MAX_PAYLOAD_BYTES} (1 MiB): the writer refuses one
 * byte more before anything reaches the file, replay takes a record of exactly the limit, and a
 * longer record is no record even if its checksum holds. Only a configuration entry can get that big
 * (its member count is not bounded by {@code writeUTF}): 16 members with URLs of 64 KiB.
 */
class WalRecordLimitTest {

    private static final int PAYLOAD_OVERHEAD = 1 + 8 + 8 + 1 + 4 + 4 + 1; // type term index tag counts session
    private static final int MEMBERS = 16;

    private final WalFixture wal = new WalFixture();

    WalRecordLimitTest() throws IOException {}

    /** A configuration entry whose WAL record payload is exactly {@code payloadBytes} long. */
    private static LogEntry configurationOfPayload(long index, int payloadBytes) {
        int perMemberFixed = 2 + 3 + 2 + 2; // id "mNN", an empty client URL, the peer URL's length
        int urls = payloadBytes - PAYLOAD_OVERHEAD - MEMBERS * perMemberFixed;
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < MEMBERS; i++) {
            int url = urls / MEMBERS + (i == 0 ? urls % MEMBERS : 0);
            members.add(new Member(String.format("m%02d", i), "", "h".repeat(url)));
        }
        LogEntry entry = new LogEntry(1, index, new Command.Configuration(new ClusterConfig(members, List.of())), null);
        assertThat(1 + EntryCodec.toBytes(entry).length).as("the payload as written").isEqualTo(payloadBytes);
        return entry;
    }

    @Test
    void aRecordOfExactlyTheLimitIsWrittenAndReplayed() throws IOException {
        LogEntry largest = configurationOfPayload(2, Wal.MAX_PAYLOAD_BYTES);
        List<LogEntry> log = List.of(WalFixture.put(1, 1, "a"), largest, WalFixture.put(1, 3, "c"));
        wal.write(0, log);

        assertThat(wal.reopen()).isEqualTo(log);
    }

    @Test
    void aRecordOneByteOverTheLimitIsRefusedBeforeAnythingIsWritten() throws IOException {
        wal.write(0, List.of(WalFixture.put(1, 1, "a")));
        long size = wal.size();

        try (Wal open = wal.open()) {
            LogEntry tooLarge = configurationOfPayload(3, Wal.MAX_PAYLOAD_BYTES + 1);
            assertThatThrownBy(() -> open.append(0, List.of(WalFixture.put(1, 2, "b"), tooLarge)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("WAL record too large: " + (Wal.MAX_PAYLOAD_BYTES + 1) + " bytes");
        }
        assertThat(wal.size()).as("not even the entry before it").isEqualTo(size);
        assertThat(wal.reopen()).containsExactly(WalFixture.put(1, 1, "a"));
    }

    @Test
    void aRecordLongerThanTheLimitIsATornTailThoughItsChecksumHolds() throws IOException {
        wal.write(0, List.of(WalFixture.put(1, 1, "a")));
        byte[] body = EntryCodec.toBytes(configurationOfPayload(2, Wal.MAX_PAYLOAD_BYTES + 1));
        byte[] payload = ByteBuffer.allocate(1 + body.length).put(Wal.ENTRY).put(body).array();
        ByteBuffer header = ByteBuffer.allocate(Wal.RECORD_HEADER_BYTES).putInt(Wal.RECORD_MAGIC)
                .putInt(payload.length).putLong(Wal.FILE_HEADER_BYTES);
        CRC32C crc = new CRC32C();
        crc.update(header.array(), 4, 12);
        crc.update(payload);
        header.putInt((int) crc.getValue());
        long intact = wal.size();
        wal.appendRaw(header.array());
        wal.appendRaw(payload);

        assertThat(wal.reopen()).containsExactly(WalFixture.put(1, 1, "a"));
        assertThat(wal.size()).as("cut off").isEqualTo(intact);
    }
}
