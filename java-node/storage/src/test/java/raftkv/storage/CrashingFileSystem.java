package raftkv.storage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * A {@link StrictMemFileSystem} that loses power just before its N-th changing operation (write,
 * truncate, fsync, rename, directory fsync, delete, create): the operation does not happen, the
 * disk keeps only what was durable, and the caller gets {@link PowerLoss}. Running a scenario once
 * for every N crashes it between every two steps.
 */
final class CrashingFileSystem implements FileSystem {

    static final class PowerLoss extends IOException {
        PowerLoss() {
            super("power loss");
        }
    }

    final StrictMemFileSystem disk = new StrictMemFileSystem();
    private long opsLeft = Long.MAX_VALUE;
    private long ops;

    /** Crash just before the operation numbered {@code n} (counting from 0) from now on. */
    void crashBeforeOperation(long n) {
        opsLeft = n;
    }

    /** Changing operations performed so far. */
    long operations() {
        return ops;
    }

    private void step() throws PowerLoss {
        if (opsLeft-- <= 0) {
            opsLeft = Long.MAX_VALUE;
            disk.crash();
            throw new PowerLoss();
        }
        ops++;
    }

    @Override
    public boolean exists(Path path) {
        return disk.exists(path);
    }

    @Override
    public boolean isDirectory(Path path) {
        return disk.isDirectory(path);
    }

    @Override
    public void createDirectory(Path dir) throws IOException {
        step();
        disk.createDirectory(dir);
    }

    @Override
    public byte[] readAllBytes(Path file) throws IOException {
        return disk.readAllBytes(file);
    }

    @Override
    public FileHandle openAppending(Path file) throws IOException {
        return new Handle(disk.openAppending(file));
    }

    @Override
    public FileHandle openTruncated(Path file) throws IOException {
        step();
        return new Handle(disk.openTruncated(file));
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        step();
        disk.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        step();
        disk.syncDirectory(dir);
    }

    @Override
    public void delete(Path path) throws IOException {
        step();
        disk.delete(path);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return disk.list(dir);
    }

    private final class Handle implements FileHandle {
        private final FileHandle inner;

        Handle(FileHandle inner) {
            this.inner = inner;
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            step();
            inner.write(bytes);
        }

        @Override
        public void truncate(long size) throws IOException {
            step();
            inner.truncate(size);
        }

        @Override
        public void sync() throws IOException {
            step();
            inner.sync();
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
