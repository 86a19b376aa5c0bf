package raftkv.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;

/**
 * Replaces a file atomically, the one way every file of a data directory that is not appended to is
 * written (the hard state, a snapshot, the rewritten WAL): write a temporary sibling
 * {@code <name>.tmp}, fsync it, rename it over the file, fsync the directory. A crash leaves the old
 * version or the new one, never a mix, and never a name that points at lost bytes. A temporary file
 * left by a crash was never published; its owner deletes or overwrites it.
 */
final class AtomicFileWriter implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(AtomicFileWriter.class);
    static final String TEMP_SUFFIX = ".tmp";

    private final FileSystem fs;
    private final Path file;
    private final Path temp;
    private final FileHandle handle;

    private AtomicFileWriter(FileSystem fs, Path file) throws IOException {
        this.fs = fs;
        this.file = file.toAbsolutePath();
        this.temp = tempOf(this.file);
        this.handle = fs.openTruncated(temp);
    }

    /** Starts a new version of {@code file}: its temporary file, empty. */
    static AtomicFileWriter begin(FileSystem fs, Path file) throws IOException {
        return new AtomicFileWriter(fs, file);
    }

    /** Replaces {@code file} with {@code bytes}; durable when this returns. */
    static void replace(FileSystem fs, Path file, byte[] bytes) throws IOException {
        try (AtomicFileWriter writer = begin(fs, file)) {
            writer.write(bytes);
            writer.publish();
        }
    }

    /** Where a new version of {@code file} is written before it is published. */
    static Path tempOf(Path file) {
        return file.resolveSibling(file.getFileName() + TEMP_SUFFIX);
    }

    /** Appends to the temporary file. */
    void write(byte[] bytes) throws IOException {
        handle.write(bytes);
    }

    /** The temporary file, for a writer that streams into it. */
    FileHandle handle() {
        return handle;
    }

    /** Fsync, rename, directory fsync: when this returns, the new version survives a power loss. */
    void publish() throws IOException {
        handle.sync(); // the bytes first: a rename that survives must never name lost bytes
        handle.close();
        fs.rename(temp, file);
        fs.syncDirectory(file.getParent()); // the new name is an entry of the directory
    }

    /** Gives up: the temporary file goes (a crash would have left it for its owner to delete). */
    void abandon() {
        try {
            handle.close();
            fs.delete(temp);
        } catch (NoSuchFileException e) {
            // gone already
        } catch (IOException e) {
            log.warn("could not delete the abandoned temporary file {}: {}", temp, e.toString());
        }
    }

    /** Closes the temporary file (again, after {@link #publish()}); a failed write leaves it behind. */
    @Override
    public void close() throws IOException {
        handle.close();
    }
}
