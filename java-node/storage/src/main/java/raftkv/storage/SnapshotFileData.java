package raftkv.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import raftkv.core.SnapshotData;
import raftkv.storage.fs.FileSystem;
import raftkv.storage.fs.ReadableFile;

/**
 * A snapshot's state machine bytes where they lie in its file ({@link SnapshotFiles}), read on
 * demand: a leader reads one InstallSnapshot chunk at a time (a positional read, usually from the
 * page cache), a state machine streams the whole. So a snapshot the core holds costs no heap.
 *
 * <p>The file is opened at the first read and stays open while this object lives: a leader that
 * pinned the snapshot for a transfer can read it to the end even after newer snapshots replaced it
 * on disk (an open file outlives its deletion, as on POSIX). When this object becomes unreachable,
 * a {@link Cleaner} closes the file, and the disk space of a deleted snapshot is freed then.
 */
final class SnapshotFileData implements SnapshotData {

    private static final Cleaner CLEANER = Cleaner.create();

    private final Path file;
    private final long offset;
    private final long length;
    private final OpenFile open;

    /** The file, opened at most once; shared with the cleaner, so it must not refer to its owner. */
    private static final class OpenFile implements Runnable {
        private final FileSystem fs;
        private final Path file;
        private ReadableFile handle;

        OpenFile(FileSystem fs, Path file) {
            this.fs = fs;
            this.file = file;
        }

        synchronized ReadableFile handle() throws IOException {
            if (handle == null) {
                handle = fs.openForReading(file);
            }
            return handle;
        }

        @Override
        public synchronized void run() {
            if (handle != null) {
                try {
                    handle.close();
                } catch (IOException e) {
                    // nothing to do: the file was only read
                }
            }
        }
    }

    /** The {@code length} bytes at {@code offset} of {@code file}. */
    SnapshotFileData(FileSystem fs, Path file, long offset, long length) {
        this.file = file;
        this.offset = offset;
        this.length = length;
        this.open = new OpenFile(fs, file);
        CLEANER.register(this, open);
    }

    Path file() {
        return file;
    }

    @Override
    public long size() {
        return length;
    }

    @Override
    public byte[] read(long from, int count) {
        if (from < 0 || from > length || count < 0) {
            throw new IndexOutOfBoundsException("read " + count + " bytes at " + from + " of " + length);
        }
        byte[] bytes = new byte[(int) Math.min(count, length - from)];
        try {
            open.handle().readFully(offset + from, bytes, 0, bytes.length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read snapshot " + file, e);
        }
        return bytes;
    }

    @Override
    public InputStream open() {
        try {
            return new RangeInputStream(open.handle(), offset, offset + length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open snapshot " + file, e);
        }
    }

    @Override
    public String toString() {
        return length + " bytes in " + file;
    }

    /** Bytes {@code [from, to)} of a file, read in order; closing it leaves the file open. */
    static final class RangeInputStream extends InputStream {
        private final ReadableFile file;
        private final long end;
        private long position;

        RangeInputStream(ReadableFile file, long from, long to) {
            this.file = file;
            this.position = from;
            this.end = to;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
        }

        @Override
        public int read(byte[] buffer, int offset, int count) throws IOException {
            if (count == 0) {
                return 0;
            }
            if (position >= end) {
                return -1;
            }
            int n = file.read(position, buffer, offset, (int) Math.min(count, end - position));
            if (n < 0) {
                throw new java.io.EOFException("the snapshot file ends at " + position + ", before " + end);
            }
            position += n;
            return n;
        }
    }
}
