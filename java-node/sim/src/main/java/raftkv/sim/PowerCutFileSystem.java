package raftkv.sim;

import java.io.IOException;
import java.nio.file.Path;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.ForwardingFileHandle;
import raftkv.storage.fs.ForwardingFileSystem;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * A {@link StrictMemFileSystem} whose power can be cut in the middle of a write: once
 * {@link #cutAtNextSync() armed}, the next fsync (of a file or a directory) throws {@link PowerCut}
 * instead of syncing. What was written but not yet synced is then at the mercy of the crash's
 * {@link raftkv.storage.fs.TearPolicy} — the torn WAL tails that recovery must cut without calling
 * them corruption.
 */
final class PowerCutFileSystem extends ForwardingFileSystem {

    /** The power went out during an fsync: the node is dead from this instant. */
    static final class PowerCut extends RuntimeException {
        PowerCut() {
            super("power cut during fsync", null, false, false);
        }
    }

    private boolean cutAtNextSync;

    PowerCutFileSystem(StrictMemFileSystem disk) {
        super(disk);
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
    protected FileHandle wrap(FileHandle handle, Path file) {
        return new ForwardingFileHandle(handle) {
            @Override
            public void sync() throws IOException {
                beforeSync();
                inner.sync();
            }
        };
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        beforeSync();
        inner.syncDirectory(dir);
    }
}
