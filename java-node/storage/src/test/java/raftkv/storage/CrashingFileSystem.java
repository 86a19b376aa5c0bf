package raftkv.storage;

import java.io.IOException;
import java.nio.file.Path;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.ForwardingFileHandle;
import raftkv.storage.fs.ForwardingFileSystem;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * A {@link StrictMemFileSystem} that loses power just before its N-th changing operation (write,
 * truncate, fsync, rename, directory fsync, delete, create): the operation does not happen, the
 * disk keeps only what was durable, and the caller gets {@link PowerLoss}. Running a scenario once
 * for every N crashes it between every two steps.
 */
final class CrashingFileSystem extends ForwardingFileSystem {

    static final class PowerLoss extends IOException {
        PowerLoss() {
            super("power loss");
        }
    }

    final StrictMemFileSystem disk;
    private long opsLeft = Long.MAX_VALUE;
    private long ops;

    CrashingFileSystem() {
        this(new StrictMemFileSystem());
    }

    private CrashingFileSystem(StrictMemFileSystem disk) {
        super(disk);
        this.disk = disk;
    }

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
    public void createDirectory(Path dir) throws IOException {
        step();
        super.createDirectory(dir);
    }

    @Override
    public FileHandle openTruncated(Path file) throws IOException {
        step();
        return super.openTruncated(file);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        step();
        super.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        step();
        super.syncDirectory(dir);
    }

    @Override
    public void delete(Path path) throws IOException {
        step();
        super.delete(path);
    }

    @Override
    protected FileHandle wrap(FileHandle handle, Path file) {
        return new ForwardingFileHandle(handle) {
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
        };
    }
}
