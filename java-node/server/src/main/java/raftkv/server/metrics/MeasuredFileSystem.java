package raftkv.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.nio.file.Path;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;
import raftkv.storage.fs.ForwardingFileHandle;
import raftkv.storage.fs.ForwardingFileSystem;

/**
 * A {@link FileSystem} that times every fsync and counts the bytes written, then does exactly what
 * the one it wraps does. The storage code is unchanged: it cannot tell it is being watched.
 */
final class MeasuredFileSystem extends ForwardingFileSystem {

    private final NodeMetrics metrics;

    MeasuredFileSystem(FileSystem inner, NodeMetrics metrics) {
        super(inner);
        this.metrics = metrics;
    }

    @Override
    protected FileHandle wrap(FileHandle handle, Path file) {
        return new MeasuredHandle(handle, fileLabel(file));
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        Timer.Sample sample = Timer.start();
        inner.syncDirectory(dir);
        sample.stop(metrics.fsync("directory"));
    }

    /** raft.wal or hardstate: a label with few values, whatever the data directory is called. */
    private static String fileLabel(Path file) {
        String name = file.getFileName().toString();
        return name.startsWith("hardstate") ? "hardstate" : name.endsWith(".wal") ? "wal" : "other";
    }

    private final class MeasuredHandle extends ForwardingFileHandle {
        private final Timer fsync;
        private final Counter written;

        MeasuredHandle(FileHandle inner, String file) {
            super(inner);
            this.fsync = metrics.fsync(file);
            this.written = metrics.bytesWritten(file);
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            inner.write(bytes);
            written.increment(bytes.length);
        }

        @Override
        public void sync() throws IOException {
            Timer.Sample sample = Timer.start();
            inner.sync();
            sample.stop(fsync);
        }
    }
}
