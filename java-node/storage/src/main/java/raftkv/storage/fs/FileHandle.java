package raftkv.storage.fs;

import java.io.Closeable;
import java.io.IOException;

/** An open file that is only ever appended to, cut short, and fsynced. */
public interface FileHandle extends Closeable {

    /** Appends {@code bytes} at the end of the file. Not durable until {@link #sync}. */
    void write(byte[] bytes) throws IOException;

    /** Cuts the file to {@code size} bytes; later writes go after that. Not durable until {@link #sync}. */
    void truncate(long size) throws IOException;

    /** fsync: when this returns, the file's bytes and length survive a power loss (its name may not). */
    void sync() throws IOException;

    long size() throws IOException;
}
