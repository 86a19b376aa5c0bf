package raftkv.storage.fs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A {@link FileSystem} that does what the one it wraps does, so that a wrapper which watches or
 * breaks a few operations (metrics, power cuts in tests and the simulator) overrides only those.
 * Files it opens are wrapped by {@link #wrap}, which returns them unchanged unless overridden.
 */
public abstract class ForwardingFileSystem implements FileSystem {

    protected final FileSystem inner;

    protected ForwardingFileSystem(FileSystem inner) {
        this.inner = inner;
    }

    /** The handle this file system gives out for a file {@code inner} opened; by default the same. */
    protected FileHandle wrap(FileHandle handle, Path file) {
        return handle;
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
    public ReadableFile openForReading(Path file) throws IOException {
        return inner.openForReading(file);
    }

    @Override
    public FileHandle openAppending(Path file) throws IOException {
        return wrap(inner.openAppending(file), file);
    }

    @Override
    public FileHandle openTruncated(Path file) throws IOException {
        return wrap(inner.openTruncated(file), file);
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        inner.rename(from, to);
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        inner.syncDirectory(dir);
    }

    @Override
    public void delete(Path path) throws IOException {
        inner.delete(path);
    }

    @Override
    public List<Path> list(Path dir) throws IOException {
        return inner.list(dir);
    }
}
