package raftkv.storage;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.LogEntry;

/** Replays a WAL's records and decides whether damage is a torn tail or corruption (see {@link Wal}). */
final class WalRecovery {

    private static final Logger log = LoggerFactory.getLogger(Wal.class);

    private WalRecovery() {}

    /** The log the records rebuild, and the offset where the valid records end. */
    record Recovered(List<LogEntry> entries, long validEnd) {}

    /** What a record holds once decoded. */
    sealed interface Payload {
        record Append(LogEntry entry) implements Payload {}

        record Truncate(long fromIndex) implements Payload {}
    }

    /** The outcome of reading a record at some offset. */
    sealed interface Read {
        /** Passed every check; {@code end} is the offset just after it. */
        record Valid(Payload payload, long syncedOffset, int end) implements Read {}

        record Damaged(String why) implements Read {}
    }

    static Recovered replay(byte[] bytes, Path file) throws StorageCorruptedException {
        List<LogEntry> entries = new ArrayList<>();
        int offset = Wal.FILE_HEADER_BYTES;
        while (offset < bytes.length) {
            switch (read(bytes, offset)) {
                case Read.Valid valid -> {
                    apply(valid.payload(), entries, offset, file);
                    offset = valid.end();
                }
                case Read.Damaged damaged -> {
                    long proven = largestSyncedOffsetFrom(bytes, offset + 1);
                    if (offset < proven) {
                        throw new StorageCorruptedException("WAL " + file + " is corrupted at byte " + offset + " ("
                                + damaged.why() + "): a later record shows that the first " + proven + " bytes"
                                + " had been fsynced, so data that was once durable changed. Refusing to start;"
                                + " restore this node's data directory, or"
                                + " remove the node from the cluster and add it back as a new one with an empty"
                                + " directory (--join; docs/api.md, \"Membership\").");
                    }
                    log.warn("WAL {}: dropping a torn tail of {} bytes at offset {} ({}; never fsynced, so"
                            + " a write interrupted by a crash)", file, bytes.length - offset, offset, damaged.why());
                    return new Recovered(entries, offset);
                }
            }
        }
        return new Recovered(entries, offset);
    }

    private static void apply(Payload payload, List<LogEntry> entries, int offset, Path file)
            throws StorageCorruptedException {
        switch (payload) {
            case Payload.Append append -> {
                // After log compaction the WAL starts wherever its first entry does (see Wal#cutBefore).
                long expected = entries.isEmpty() ? append.entry().index() : entries.getLast().index() + 1;
                if (append.entry().index() != expected) {
                    throw new StorageCorruptedException("WAL " + file + ": entry " + append.entry().index()
                            + " at byte " + offset + " does not follow entry " + (expected - 1));
                }
                entries.add(append.entry());
            }
            case Payload.Truncate truncate -> {
                long first = entries.isEmpty() ? truncate.fromIndex() : entries.getFirst().index();
                long end = entries.isEmpty() ? truncate.fromIndex() : entries.getLast().index() + 1;
                if (truncate.fromIndex() < 1 || truncate.fromIndex() > end) {
                    throw new StorageCorruptedException("WAL " + file + ": truncation from " + truncate.fromIndex()
                            + " at byte " + offset + " but the log ends at entry " + (end - 1));
                }
                entries.subList(Math.toIntExact(Math.max(0, truncate.fromIndex() - first)), entries.size()).clear();
            }
        }
    }

    /**
     * The largest {@code syncedOffset} declared by a valid record starting at or after {@code from}.
     * Records are looked for at every byte: the damage may have hidden where the next one starts.
     */
    private static long largestSyncedOffsetFrom(byte[] bytes, int from) {
        long largest = 0;
        for (int offset = from; offset + Wal.RECORD_HEADER_BYTES <= bytes.length; offset++) {
            if (read(bytes, offset) instanceof Read.Valid valid) {
                largest = Math.max(largest, valid.syncedOffset());
            }
        }
        return largest;
    }

    static Read read(byte[] bytes, int offset) {
        if (offset + Wal.RECORD_HEADER_BYTES > bytes.length) {
            return new Read.Damaged("incomplete record header");
        }
        ByteBuffer header = ByteBuffer.wrap(bytes, offset, Wal.RECORD_HEADER_BYTES);
        int magic = header.getInt();
        int length = header.getInt();
        long syncedOffset = header.getLong();
        int expectedCrc = header.getInt();
        int start = offset + Wal.RECORD_HEADER_BYTES;
        if (magic != Wal.RECORD_MAGIC) {
            return new Read.Damaged("bad record magic");
        }
        if (length < 1 || length > Wal.MAX_PAYLOAD_BYTES || length > bytes.length - start) {
            return new Read.Damaged("bad or incomplete record length " + length);
        }
        if (Checksums.ofWalRecord(bytes, offset, bytes, start, length) != expectedCrc) {
            return new Read.Damaged("checksum mismatch");
        }
        // A record is written after the fsync it names; anything else is a checksum collision on garbage.
        if (syncedOffset < Wal.FILE_HEADER_BYTES || syncedOffset > offset) {
            return new Read.Damaged("impossible synced offset " + syncedOffset);
        }
        return decode(bytes, start, length, syncedOffset);
    }

    private static Read decode(byte[] bytes, int start, int length, long syncedOffset) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, start + 1, length - 1));
            Payload payload;
            switch (bytes[start]) {
                case Wal.ENTRY -> payload = new Payload.Append(EntryCodec.read(in));
                case Wal.TRUNCATE -> payload = new Payload.Truncate(in.readLong());
                default -> {
                    return new Read.Damaged("unknown record type " + bytes[start]);
                }
            }
            if (in.available() != 0) {
                return new Read.Damaged("malformed payload");
            }
            return new Read.Valid(payload, syncedOffset, start + length);
        } catch (IOException | RuntimeException e) {
            return new Read.Damaged("malformed payload: " + e);
        }
    }
}
