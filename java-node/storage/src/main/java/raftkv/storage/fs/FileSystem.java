package raftkv.storage.fs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The few file operations the storage needs, so that the same WAL and hard-state code runs on the
 * real disk ({@link RealFileSystem}) and on {@link StrictMemFileSystem}, which forgets — and tears —
 * whatever was not fsynced when it simulates a power loss. That second one is what lets a test notice
 * a missing fsync: on a real disk, killing the process keeps the page cache, so nothing is lost.
 *
 * <p>Durability follows POSIX as the strict reading of it goes: {@link FileHandle#sync} makes a file's
 * bytes durable, but a file's <em>name</em> (its creation, a rename, a deletion) is part of the
 * directory and is durable only after {@link #syncDirectory} on that directory.
 */
public interface FileSystem {

    boolean exists(Path path);

    boolean isDirectory(Path path);

    /** Creates one directory; its parent must exist. Not durable until the parent is synced. */
    void createDirectory(Path dir) throws IOException;

    /**
     * Creates {@code dir} and any missing ancestors, fsyncing the parent of each directory it creates,
     * so that once this returns the whole path survives a power loss.
     */
    default void createDirectoriesDurably(Path dir) throws IOException {
        Path absolute = dir.toAbsolutePath().normalize();
        if (isDirectory(absolute)) {
            return;
        }
        Path parent = absolute.getParent();
        if (parent != null) {
            createDirectoriesDurably(parent);
        }
        createDirectory(absolute);
        if (parent != null) {
            syncDirectory(parent); // the new directory's name lives in its parent
        }
    }

    byte[] readAllBytes(Path file) throws IOException;

    /** Opens {@code file} to read at any position (a snapshot, too big to read whole). */
    ReadableFile openForReading(Path file) throws IOException;

    /** Opens {@code file} for appending, creating it empty if it does not exist. */
    FileHandle openAppending(Path file) throws IOException;

    /** Opens {@code file} for appending after emptying it, creating it if it does not exist. */
    FileHandle openTruncated(Path file) throws IOException;

    /** Atomically renames {@code from} to {@code to}, replacing {@code to} if it is a file. */
    void rename(Path from, Path to) throws IOException;

    /** Makes the entries of {@code dir} (creations, renames, deletions in it) durable. */
    void syncDirectory(Path dir) throws IOException;

    /** Deletes a file or an empty directory. */
    void delete(Path path) throws IOException;

    /** The entries of {@code dir}, sorted by name. */
    List<Path> list(Path dir) throws IOException;
}
