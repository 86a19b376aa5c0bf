package raftkv.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * A {@link StrictMemFileSystem} whose power can be cut in the middle of a write: once
 * {@link #cutAtNextSync() armed}, the next fsync (of a file or a directory) throws {@link PowerCut}
 * instead of syncing. What was written but not yet synced is then at the mercy of the crash's
 * {@link raftkv.storage.fs.TearPolicy} — the torn WAL tails that recovery must cut without calling
 * them corruption.
 */
final class PowerCutFileSystem implements FileSystem {

    /** The power went out during an fsync: the node is dead from this instant. */
    static final class PowerCut extends RuntimeException {
        PowerCut() {
            super("power cut during fsync", null, false, false);
        }
    }

    private final StrictMemFileSystem disk;
    private boolean cutAtNextSync;

    PowerCutFileSystem(StrictMemFileSystem disk) {
        this.disk = disk;
    }

    /** The next fsync will not happen: the power goes out first. */
    void cutAtNextSync() {
        cutAtNextSync = true;
    }

    boolean cutPending() {
        return cutAtNextSync;
    }

    /** Called by the power loss itself: the next boot starts with the power on. */
    void powerRestored() {
        cutAtNextSync = false;
    }

    private void beforeSync() {
        if (cutAtNextSync) {
            throw new PowerCut();
        }
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
        disk.createDirectory(dir);
    }

    @Override
    public byte[] readAllBytes(Path file) throws IOException {
        return disk.readAllBytes(file);
    }

    @Override
    public FileHandle openAppending(Path file) throws IOException {
        return new CuttableHandle(disk.openAppending(file));
    }

    @Override
    public FileHandle openTruncated(Path file) throws IOException {
        return new CuttableHandle(disk.openTruncated(file));
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        disk.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        beforeSync();
        disk.syncDirectory(dir);
    }

    @Override
    public void delete(Path path) throws IOException {
        disk.delete(path);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return disk.list(dir);
    }

    private final class CuttableHandle implements FileHandle {
        private final FileHandle handle;

        CuttableHandle(FileHandle handle) {
            this.handle = handle;
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            handle.write(bytes);
        }

        @Override
        public void truncate(long size) throws IOException {
            handle.truncate(size);
        }

        @Override
        public void sync() throws IOException {
            beforeSync();
            handle.sync();
        }

        @Override
        public long size() throws IOException {
            return handle.size();
        }

        @Override
        public void close() throws IOException {
            handle.close();
        }
    }
}
