package raftkv.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Session;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.StrictMemFileSystem;

/** A WAL in a durable directory of a fresh {@link StrictMemFileSystem}, and helpers to write and damage it. */
final class WalFixture {

    final StrictMemFileSystem fs = new StrictMemFileSystem();
    final Path file = Path.of("/data/raft.wal");

    WalFixture() throws IOException {
        fs.createDirectoriesDurably(file.getParent());
    }

    static LogEntry put(long term, long index, String id) {
        return new LogEntry(term, index, new Command.Put(id, "name-" + index), new Session("client", index));
    }

    /** An entry whose record takes about {@code bytes} bytes, to spread batches over pages. */
    static LogEntry bulky(long term, long index, int bytes) {
        return new LogEntry(term, index, new Command.Put("id" + index, "x".repeat(bytes)), null);
    }

    static List<LogEntry> entries(long term, long from, long to) {
        List<LogEntry> list = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            list.add(put(term, i, "id" + i));
        }
        return list;
    }

    static List<LogEntry> concat(List<LogEntry> a, List<LogEntry> b) {
        List<LogEntry> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    Wal open() throws IOException {
        return Wal.open(fs, file);
    }

    /** Opens the WAL, appends, fsyncs, closes. */
    void write(long truncateFrom, List<LogEntry> entries) throws IOException {
        try (Wal wal = open()) {
            wal.append(truncateFrom, entries);
            wal.sync();
        }
    }

    List<LogEntry> reopen() throws IOException {
        try (Wal wal = open()) {
            return wal.recoveredEntries();
        }
    }

    long size() throws IOException {
        return fs.readAllBytes(file).length;
    }

    /** Replaces the file's bytes, durably: the damage is on the disk, not in the page cache. */
    void overwrite(byte[] bytes) throws IOException {
        try (FileHandle handle = fs.openTruncated(file)) {
            handle.write(bytes);
            handle.sync();
        }
    }

    void flipByte(long offset) throws IOException {
        byte[] bytes = fs.readAllBytes(file);
        bytes[(int) offset] ^= 0x40;
        overwrite(bytes);
    }

    void cutTo(long length) throws IOException {
        try (FileHandle handle = fs.openAppending(file)) {
            handle.truncate(length);
            handle.sync();
        }
    }

    void appendRaw(byte[] bytes) throws IOException {
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(bytes);
            handle.sync();
        }
    }
}
