package raftkv.storage.fs;

import java.io.IOException;

/** A {@link FileHandle} that does what the one it wraps does; see {@link ForwardingFileSystem}. */
public abstract class ForwardingFileHandle implements FileHandle {

    protected final FileHandle inner;

    protected ForwardingFileHandle(FileHandle inner) {
        this.inner = inner;
    }

    @Override
    public void write(byte[] bytes) throws IOException {
        inner.write(bytes);
    }

    @Override
    public void truncate(long size) throws IOException {
        inner.truncate(size);
    }

    @Override
    public void sync() throws IOException {
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
