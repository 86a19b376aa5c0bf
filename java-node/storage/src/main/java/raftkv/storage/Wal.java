package raftkv.storage;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import raftkv.core.LogEntry;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;

/**
 * The write-ahead log: one append-only file holding the Raft log as a sequence of records.
 *
 * <pre>
 *   file    = "RKVW" version:int(2)  record*
 *   record  = "RKV2" length:int  syncedOffset:long  crc32c(length, syncedOffset, payload):int  payload[length]
 *   payload = 1 entry-bytes         (see EntryCodec)  "append this entry"
 *           | 2 fromIndex:long                        "drop every entry at index >= fromIndex"
 * </pre>
 *
 * Raft only ever truncates the log's uncommitted suffix and appends after it, so both become
 * appends to the file: replaying the records in order rebuilds the log. The header is fsynced (with
 * the directory) when the file is created, before any record is written.
 *
 * <p><b>Telling a torn tail from corruption.</b> {@link #append} only writes; {@link #sync} is the
 * fsync, once per Ready (group commit). Between two fsyncs a batch may span several pages, and a
 * power loss can keep any subset of them: page N lost, page N+1 on disk. So "a damaged record followed
 * by a valid one" is not proof that durable bytes changed. Instead, every record carries
 * {@code syncedOffset}: the file length at the last completed fsync when the record was written. Any
 * valid record anywhere in the file thus proves that its {@code syncedOffset} bytes were once durable.
 * On recovery, damage before the largest such offset is corruption ({@link StorageCorruptedException}); damage
 * at or after it is a torn tail, cut off the file (with a WARN) before the node goes on.
 *
 * <p><b>The limit.</b> The proof for a batch only arrives with the next batch. Damage inside the last
 * fsynced batch, with nothing valid written after it, looks exactly like a torn tail and is cut off:
 * entries this node acknowledged can be lost that way (the disk, not a crash, must have damaged them).
 * Likewise if the records after the damage that would have proved it are damaged too. Closing that
 * gap would cost a second fsync per batch (a commit record written after the first).
 *
 * <p><b>Compaction.</b> After a snapshot, {@link #cutBefore} rewrites the file without the entries the
 * snapshot replaced ({@link AtomicFileWriter}): the kept entries go to {@code raft.wal.tmp}, which is
 * fsynced and renamed over the WAL, and the directory fsynced. A crash before the rename leaves the old WAL (a superset); after
 * it, the new one. Either continues the snapshot, which was made durable first. The first record of
 * a cut WAL is simply its first kept entry: recovery takes the log to start there.
 */
public final class Wal implements Closeable {

    static final int FILE_MAGIC = 0x52_4B_56_57; // "RKVW"
    static final int VERSION = 2;
    static final int FILE_HEADER_BYTES = 8;
    static final int RECORD_MAGIC = 0x52_4B_56_32; // "RKV2"
    static final int VERSION_1_MAGIC = 0x52_4B_56_31; // "RKV1": version 1 had no file header
    static final int RECORD_HEADER_BYTES = 20;
    static final int MAX_PAYLOAD_BYTES = 1 << 20;
    static final byte ENTRY = 1;
    static final byte TRUNCATE = 2;

    private final FileSystem fs;
    private final Path file;
    private FileHandle handle;
    private final List<LogEntry> recovered;
    private long lastIndex;
    private long writtenEnd;
    private long syncedOffset;
    private final long tornTailBytes;

    private Wal(FileSystem fs, Path file, FileHandle handle, List<LogEntry> recovered, long durableEnd,
            long tornTailBytes) {
        this.fs = fs;
        this.file = file;
        this.handle = handle;
        this.recovered = List.copyOf(recovered);
        this.tornTailBytes = tornTailBytes;
        this.lastIndex = recovered.isEmpty() ? 0 : recovered.getLast().index();
        this.writtenEnd = durableEnd;
        this.syncedOffset = durableEnd;
    }

    /**
     * Opens (or creates) the WAL at {@code file} and replays it; a torn tail is cut off the file.
     *
     * @throws StorageCorruptedException if bytes that were once durable are damaged, or the file is not
     *     a version 2 WAL
     */
    public static Wal open(FileSystem fs, Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        Path temp = AtomicFileWriter.tempOf(absolute);
        if (fs.exists(temp)) {
            fs.delete(temp); // a rewrite a crash interrupted before its rename: the WAL itself is intact
        }
        FileHandle handle = fs.openAppending(absolute);
        try {
            if (handle.size() < FILE_HEADER_BYTES) {
                // New, or its creation was cut short by a crash: nothing in it was ever promised.
                handle.truncate(0);
                handle.write(ByteBuffer.allocate(FILE_HEADER_BYTES).putInt(FILE_MAGIC).putInt(VERSION).array());
                handle.sync();
                fs.syncDirectory(absolute.getParent()); // the new name must survive too
                return new Wal(fs, absolute, handle, List.of(), FILE_HEADER_BYTES, 0);
            }
            byte[] bytes = fs.readAllBytes(absolute);
            checkFileHeader(bytes, absolute);
            WalRecovery.Recovered log = WalRecovery.replay(bytes, absolute);
            if (log.validEnd() < bytes.length) {
                handle.truncate(log.validEnd());
            }
            // After a process crash the recovered records may still be only in the page cache. The
            // node is about to act on them (and later records will declare them synced): fsync now.
            handle.sync();
            return new Wal(fs, absolute, handle, log.entries(), log.validEnd(), bytes.length - log.validEnd());
        } catch (IOException | RuntimeException e) {
            handle.close();
            throw e;
        }
    }

    private static void checkFileHeader(byte[] bytes, Path file) throws StorageCorruptedException {
        ByteBuffer header = ByteBuffer.wrap(bytes, 0, FILE_HEADER_BYTES);
        int magic = header.getInt();
        int version = header.getInt();
        if (magic == VERSION_1_MAGIC) {
            throw new StorageCorruptedException("WAL " + file + " is in format version 1 (RKV1); this build reads only"
                    + " version " + VERSION + ". Start this node with the raftkv release that wrote it, or"
                    + " remove the node from the cluster and add it back as a new one with an empty"
                    + " directory (--join; docs/api.md, \"Membership\").");
        }
        if (magic != FILE_MAGIC || version != VERSION) {
            throw new StorageCorruptedException("WAL " + file + " has an unknown header (magic 0x"
                    + Integer.toHexString(magic) + ", version " + version + "): it is damaged or not a raftkv"
                    + " WAL. Refusing to start; restore this node's data directory, or"
                    + " remove the node from the cluster and add it back as a new one with an empty"
                    + " directory (--join; docs/api.md, \"Membership\").");
        }
    }

    /** How many bytes of torn tail (written, never fsynced) recovery cut off when the WAL was opened. */
    public long tornTailBytes() {
        return tornTailBytes;
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
            writeRecord(batch, ByteBuffer.allocate(9).put(TRUNCATE).putLong(truncateFrom).array());
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
        handle.write(batch.toByteArray());
        writtenEnd += batch.size();
    }

    /**
     * Rewrites the WAL without the entries before {@code firstKept} (a durable snapshot holds them),
     * crash-safely: see the class comment. Must follow {@link #sync()}: it rereads the file.
     */
    public void cutBefore(long firstKept) throws IOException {
        byte[] bytes = fs.readAllBytes(file);
        List<LogEntry> kept = WalRecovery.replay(bytes, file).entries().stream()
                .filter(e -> e.index() >= firstKept).toList();
        rewrite(kept);
        lastIndex = Math.max(lastIndex, firstKept - 1);
    }

    /** Discards the entire log, which continues after {@code lastIncludedIndex} (an installed snapshot). */
    public void discardAll(long lastIncludedIndex) throws IOException {
        rewrite(List.of());
        lastIndex = lastIncludedIndex;
    }

    private void rewrite(List<LogEntry> kept) throws IOException {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        batch.writeBytes(ByteBuffer.allocate(FILE_HEADER_BYTES).putInt(FILE_MAGIC).putInt(VERSION).array());
        syncedOffset = FILE_HEADER_BYTES; // of the new file: its records are proven by the next batch
        for (LogEntry entry : kept) {
            byte[] body = EntryCodec.toBytes(entry);
            writeRecord(batch, ByteBuffer.allocate(1 + body.length).put(ENTRY).put(body).array());
        }
        try (AtomicFileWriter out = AtomicFileWriter.begin(fs, file)) {
            out.write(batch.toByteArray());
            handle.close(); // the old WAL's: its name is about to go to the new file
            out.publish();
        }
        handle = fs.openAppending(file);
        writtenEnd = batch.size();
        syncedOffset = writtenEnd;
    }

    /** Makes everything appended so far durable: the fsync. */
    public void sync() throws IOException {
        handle.sync();
        syncedOffset = writtenEnd;
    }

    @Override
    public void close() throws IOException {
        handle.close();
    }

    private void writeRecord(ByteArrayOutputStream out, byte[] payload) {
        if (payload.length > MAX_PAYLOAD_BYTES) {
            throw new IllegalArgumentException("WAL record too large: " + payload.length + " bytes");
        }
        ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER_BYTES).putInt(RECORD_MAGIC).putInt(payload.length)
                .putLong(syncedOffset);
        header.putInt(Checksums.ofWalRecord(header.array(), 0, payload, 0, payload.length));
        out.writeBytes(header.array());
        out.writeBytes(payload);
    }
}
