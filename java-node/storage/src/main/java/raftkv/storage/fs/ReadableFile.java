package raftkv.storage.fs;

import java.io.Closeable;
import java.io.IOException;

/**
 * A file open for reading at any position: a snapshot's chunks are read where they lie, not loaded
 * whole. As on POSIX, a file open for reading stays readable after it is deleted or renamed, until
 * it is closed.
 */
public interface ReadableFile extends Closeable {

    long size() throws IOException;

    /**
     * Reads up to {@code length} bytes at {@code position} into {@code buffer} from {@code offset};
     * returns how many, at least one if {@code length} is not 0, or -1 if {@code position} is at or
     * past its end. Fewer than asked at the end of the file, and possibly anywhere (a
     * {@link java.nio.channels.FileChannel} may return fewer): callers loop, as {@link #readFully} does.
     */
    int read(long position, byte[] buffer, int offset, int length) throws IOException;

    /** Reads exactly {@code length} bytes at {@code position}, or throws if the file ends first. */
    default void readFully(long position, byte[] buffer, int offset, int length) throws IOException {
        int done = 0;
        while (done < length) {
            int n = read(position + done, buffer, offset + done, length - done);
            if (n < 0) {
                throw new java.io.EOFException("the file ends at " + (position + done) + ", before " + (position + length));
            }
            done += n;
        }
    }
}
