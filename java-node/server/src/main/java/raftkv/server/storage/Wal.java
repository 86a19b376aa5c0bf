package raftkv.server.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.LogEntry;

/**
 * The write-ahead log: one append-only file holding the Raft log as a sequence of records.
 *
 * <pre>
 *   record  = magic:int  length:int  crc32c(payload):int  payload[length]
 *   payload = 1 entry-bytes         (see EntryCodec)  "append this entry"
 *           | 2 fromIndex:long                        "drop every entry at index >= fromIndex"
 * </pre>
 *
 * Raft only ever truncates the log's uncommitted suffix and appends after it, so both become
 * appends to the file: replaying the records in order rebuilds the log. Nothing is rewritten in
 * place, so a crash can damage only the record being written when power failed: the last one.
 *
 * <p>Recovery tells the two kinds of damage apart. A bad record with no valid record anywhere after
 * it is a torn tail: it was never fsynced, so no one was promised anything about it, and it is
 * dropped (with a WARN). A bad record followed by a valid one means bytes that were once durable
 * changed: recovery refuses with {@link WalCorruptedException} rather than silently forget entries
 * this node may have acknowledged.
 *
 * <p>{@link #append} only writes; {@link #sync} is the fsync. The event loop calls sync once per
 * Ready (group commit), before any message that depends on the records leaves the node. The file
 * is never compacted: raftkv has no snapshots, so the whole log is also kept in memory.
 */
public final class Wal implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(Wal.class);

    static final int MAGIC = 0x52_4B_56_31; // "RKV1"
    static final int HEADER_BYTES = 12;
    static final int MAX_PAYLOAD_BYTES = 1 << 20;
    private static final byte ENTRY = 1;
    private static final byte TRUNCATE = 2;

    private final FileChannel channel;
    private final List<LogEntry> recovered;
    private long lastIndex;

    private Wal(FileChannel channel, List<LogEntry> recovered) {
        this.channel = channel;
        this.recovered = List.copyOf(recovered);
        this.lastIndex = recovered.size();
    }

    /**
     * Opens (or creates) the WAL at {@code file} and replays it; a torn tail is cut off the file.
     *
     * @throws WalCorruptedException if a record other than the last is damaged
     */
    public static Wal open(Path file) throws IOException {
        boolean created = !Files.exists(file);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        try {
            if (created) {
                Durability.syncDirectory(file.toAbsolutePath().getParent()); // the new name must survive too
            }
            byte[] bytes = Files.readAllBytes(file);
            List<LogEntry> entries = new ArrayList<>();
            long validEnd = replay(bytes, entries, file);
            if (validEnd < bytes.length) {
                channel.truncate(validEnd);
                channel.force(true);
            }
            channel.position(validEnd);
            return new Wal(channel, entries);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The log as it was on disk when the WAL was opened. */
    public List<LogEntry> recoveredEntries() {
        return recovered;
    }

    /**
     * Writes a truncation marker (if {@code truncateFrom > 0}) and then {@code entries}. Not durable
     * until {@link #sync()}.
     */
    public void append(long truncateFrom, List<LogEntry> entries) throws IOException {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        if (truncateFrom > 0) {
            if (truncateFrom > lastIndex + 1) {
                throw new IllegalArgumentException("truncate from " + truncateFrom + " beyond log end " + lastIndex);
            }
            ByteBuffer payload = ByteBuffer.allocate(9).put(TRUNCATE).putLong(truncateFrom);
            writeRecord(batch, payload.array());
            lastIndex = truncateFrom - 1;
        }
        for (LogEntry entry : entries) {
            if (entry.index() != lastIndex + 1) {
                throw new IllegalArgumentException("WAL gap: entry " + entry.index() + " after " + lastIndex);
            }
            byte[] body = EntryCodec.toBytes(entry);
            writeRecord(batch, ByteBuffer.allocate(1 + body.length).put(ENTRY).put(body).array());
            lastIndex = entry.index();
        }
        ByteBuffer buffer = ByteBuffer.wrap(batch.toByteArray());
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Makes everything appended so far durable: the fsync. */
    public void sync() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private static void writeRecord(ByteArrayOutputStream out, byte[] payload) {
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("WAL record too large: " + payload.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(payload);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(payload.length)
                .putInt((int) crc.getValue());
        out.writeBytes(header.array());
        out.writeBytes(payload);
    }

    // ---------------------------------------------------------------- recovery

    /** A record that passed every check: its decoded payload and the offset just after it. */
    private record Parsed(LogEntry entry, long truncateFrom, int end) {}

    /** Replays records into {@code entries}; returns the offset where the valid records end. */
    private static long replay(byte[] bytes, List<LogEntry> entries, Path file) throws WalCorruptedException {
        int offset = 0;
        while (offset < bytes.length) {
            Parsed record = parse(bytes, offset);
            if (record == null) {
                if (anyValidRecordFrom(bytes, offset + 1)) {
                    throw new WalCorruptedException("WAL " + file + " is corrupted at byte " + offset
                            + ": a damaged record is followed by valid ones, so data that was once durable changed."
                            + " Refusing to start; restore this node's data directory or wipe it and let the"
                            + " leader re-replicate (only if a majority of nodes is intact).");
                }
                log.warn("WAL {}: dropping a torn tail of {} bytes at offset {} (a write interrupted by a crash)",
                        file, bytes.length - offset, offset);
                return offset;
            }
            if (record.entry() != null) {
                if (record.entry().index() != entries.size() + 1) {
                    throw new WalCorruptedException("WAL " + file + ": entry " + record.entry().index()
                            + " at byte " + offset + " does not follow entry " + entries.size());
                }
                entries.add(record.entry());
            } else {
                if (record.truncateFrom() < 1 || record.truncateFrom() > entries.size() + 1) {
                    throw new WalCorruptedException("WAL " + file + ": truncation from " + record.truncateFrom()
                            + " at byte " + offset + " but the log has " + entries.size() + " entries");
                }
                entries.subList((int) record.truncateFrom() - 1, entries.size()).clear();
            }
            offset = record.end();
        }
        return offset;
    }

    private static boolean anyValidRecordFrom(byte[] bytes, int from) {
        for (int offset = from; offset + HEADER_BYTES <= bytes.length; offset++) {
            if (parse(bytes, offset) != null) {
                return true;
            }
        }
        return false;
    }

    /** The record at {@code offset}, or null if it is incomplete or fails any check. */
    private static Parsed parse(byte[] bytes, int offset) {
        if (offset + HEADER_BYTES > bytes.length) {
            return null;
        }
        ByteBuffer header = ByteBuffer.wrap(bytes, offset, HEADER_BYTES);
        int magic = header.getInt();
        int length = header.getInt();
        int expectedCrc = header.getInt();
        int start = offset + HEADER_BYTES;
        if (magic != MAGIC || length < 1 || length > MAX_PAYLOAD_BYTES || length > bytes.length - start) {
            return null;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, start, length);
        if ((int) crc.getValue() != expectedCrc) {
            return null;
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, start + 1, length - 1));
            Parsed parsed = switch (bytes[start]) {
                case ENTRY -> new Parsed(EntryCodec.read(in), 0, start + length);
                case TRUNCATE -> new Parsed(null, in.readLong(), start + length);
                default -> null;
            };
            return parsed != null && in.available() == 0 ? parsed : null;
        } catch (IOException | RuntimeException e) {
            return null; // a checksum collision on garbage: treat as damaged
        }
    }
}
