package raftkv.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;

/**
 * A {@link FileSystem} that times every fsync and counts the bytes written, then does exactly what
 * the one it wraps does. The storage code is unchanged: it cannot tell it is being watched.
 */
final class MeasuredFileSystem implements FileSystem {

    private final FileSystem inner;
    private final NodeMetrics metrics;

    MeasuredFileSystem(FileSystem inner, NodeMetrics metrics) {
        this.inner = inner;
        this.metrics = metrics;
    }

    @Override
    public boolean exists(Path path) {
        return inner.exists(path);
    }

    @Override
    public boolean isDirectory(Path path) {
        return inner.isDirectory(path);
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        inner.createDirectory(dir);
    }

    @Override
    public byte[] readAllBytes(Path file) throws IOException {
        return inner.readAllBytes(file);
    }

    @Override
    public FileHandle openAppending(Path file) throws IOException {
        return new MeasuredHandle(inner.openAppending(file), fileLabel(file));
    }

    @Override
    public FileHandle openTruncated(Path file) throws IOException {
        return new MeasuredHandle(inner.openTruncated(file), fileLabel(file));
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        inner.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        Timer.Sample sample = Timer.start();
        inner.syncDirectory(dir);
        sample.stop(metrics.fsync("directory"));
    }

    @Override
    public void delete(Path path) throws IOException {
        inner.delete(path);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return inner.list(dir);
    }

    /** raft.wal or hardstate: a label with few values, whatever the data directory is called. */
    private static String fileLabel(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith("hardstate") ? "hardstate" : name.endsWith(".wal") ? "wal" : "other";
    }

    private final class MeasuredHandle implements FileHandle {
        private final FileHandle inner;
        private final Timer fsync;
        private final Counter written;

        MeasuredHandle(FileHandle inner, String file) {
            this.inner = inner;
            this.fsync = metrics.fsync(file);
            this.written = metrics.bytesWritten(file);
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            inner.write(bytes);
            written.increment(bytes.length);
        }

        @Override
        public void truncate(long size) throws IOException {
            inner.truncate(size);
        }

        @Override
        public void sync() throws IOException {
            Timer.Sample sample = Timer.start();
            inner.sync();
            sample.stop(fsync);
        }

        @Override
        public long size() throws IOException {
            return inner.size();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }
}
