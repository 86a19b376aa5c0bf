package raftkv.storage.fs;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An in-memory file system that remembers, separately, what is <em>durable</em> and what is merely
 * <em>current</em>, and can simulate a power loss that keeps only the durable part. Modelled on Pebble's
 * strict MemFS ({@code vfs.NewStrictMem}) and Jepsen's lazyfs.
 *
 * <ul>
 *   <li>A file's bytes become durable when a {@link FileHandle#sync} on it returns.
 *   <li>A directory's entries — the creation, rename or deletion of anything in it — become durable
 *       when {@link #syncDirectory} on that directory returns. A new file or directory whose name was
 *       never synced into its parent does not survive, whatever was synced inside it.
 *   <li>{@link #crash(TearPolicy)} is the power loss: every directory goes back to its durable entries
 *       (recursively, from the root, which always exists) and every file to its durable bytes, plus
 *       whichever unsynced 4096-byte pages the policy lets survive. A lost page before a surviving one
 *       reads as zeros; the file ends where the last surviving page's bytes end, or at its durable
 *       length if that is further. An unsynced truncation is always undone.
 * </ul>
 *
 * This is what lets a test see a missing fsync. On a real disk, killing the process keeps the kernel's
 * page cache, so every written byte is still there on restart and a forgotten fsync goes unnoticed.
 * Here, leaving out any one of them loses data at the next {@link #crash}. Open handles stop working
 * at a crash, like a process that died with the machine. Paths are made absolute and normalized.
 * Page granularity is the only tearing modelled: a real disk may also tear inside a page.
 */
public final class StrictMemFileSystem implements FileSystem {

    private sealed interface Node permits Dir, MemFile {}

    private static final class Dir implements Node {
        Map<String, Node> current = new TreeMap<>();
        Map<String, Node> durable = new TreeMap<>();
    }

    private static final class MemFile implements Node {
        byte[] data = new byte[0];
        int length;
        byte[] durable = new byte[0];
    }

    private final Dir root = new Dir();
    private long generation; // bumped at every crash: handles from before it are dead

    @Override
    public synchronized boolean exists(Path path) {
        return lookup(path) != null;
    }

    @Override
    public synchronized boolean isDirectory(Path path) {
        return lookup(path) instanceof Dir;
    }

    @Override
    public synchronized void createDirectory(Path dir) throws IOException {
        Dir parent = parentOf(dir);
        String name = nameOf(dir);
        if (parent.current.containsKey(name)) {
            throw new FileAlreadyExistsException(dir.toString());
        }
        parent.current.put(name, new Dir());
    }

    @Override
    public synchronized byte[] readAllBytes(Path file) throws IOException {
        MemFile memFile = file(file);
        return Arrays.copyOf(memFile.data, memFile.length);
    }

    /** Reads what the file holds now, synced or not; like a POSIX descriptor, it outlives a deletion. */
    @Override
    public synchronized ReadableFile openForReading(Path file) throws IOException {
        MemFile memFile = file(file);
        long openedIn = generation;
        return new ReadableFile() {
            private boolean closed;

            @Override
            public long size() throws IOException {
                synchronized (StrictMemFileSystem.this) {
                    check();
                    return memFile.length;
                }
            }

            @Override
            public int read(long position, byte[] buffer, int offset, int length) throws IOException {
                synchronized (StrictMemFileSystem.this) {
                    check();
                    if (position >= memFile.length) {
                        return length == 0 ? 0 : -1;
                    }
                    int n = (int) Math.min(length, memFile.length - position);
                    System.arraycopy(memFile.data, (int) position, buffer, offset, n);
                    return n;
                }
            }

            @Override
            public void close() {
                closed = true;
            }

            private void check() throws IOException {
                if (closed) {
                    throw new IOException("file is closed");
                }
                if (openedIn != generation) {
                    throw new IOException("file was opened before a crash");
                }
            }
        };
    }

    @Override
    public synchronized FileHandle openAppending(Path file) throws IOException {
        return new MemHandle(fileCreatingIt(file), generation);
    }

    @Override
    public synchronized FileHandle openTruncated(Path file) throws IOException {
        MemFile memFile = fileCreatingIt(file);
        memFile.length = 0;
        return new MemHandle(memFile, generation);
    }

    @Override
    public synchronized void rename(Path from, Path to) throws IOException {
        Dir fromParent = parentOf(from);
        Node node = fromParent.current.get(nameOf(from));
        if (node == null) {
            throw new NoSuchFileException(from.toString());
        }
        Dir toParent = parentOf(to);
        if (toParent.current.get(nameOf(to)) instanceof Dir) {
            throw new FileAlreadyExistsException(to.toString(), null, "is a directory");
        }
        fromParent.current.remove(nameOf(from));
        toParent.current.put(nameOf(to), node);
    }

    @Override
    public synchronized void syncDirectory(Path dir) throws IOException {
        Dir directory = dir(dir);
        directory.durable = new TreeMap<>(directory.current);
    }

    @Override
    public synchronized void delete(Path path) throws IOException {
        Dir parent = parentOf(path);
        Node node = parent.current.get(nameOf(path));
        if (node == null) {
            throw new NoSuchFileException(path.toString());
        }
        if (node instanceof Dir directory && !directory.current.isEmpty()) {
            throw new DirectoryNotEmptyException(path.toString());
        }
        parent.current.remove(nameOf(path));
    }

    @Override
    public synchronized List<Path> list(Path dir) throws IOException {
        Path absolute = normalize(dir);
        return dir(dir).current.keySet().stream().map(absolute::resolve).toList();
    }

    /**
     * What a power loss at this instant would leave (no unsynced page survives), as a separate file
     * system; this one is left untouched. Tests use it to ask "had the machine died right now, what
     * would the node recover?" at the moment a message leaves.
     */
    public synchronized StrictMemFileSystem durableImage() {
        StrictMemFileSystem image = new StrictMemFileSystem();
        copyDurable(root, image.root, new IdentityHashMap<>());
        return image;
    }

    private static void copyDurable(Dir from, Dir to, Map<MemFile, MemFile> copies) {
        for (Map.Entry<String, Node> entry : from.durable.entrySet()) {
            Node copy = switch (entry.getValue()) {
                case Dir dir -> {
                    Dir child = new Dir();
                    copyDurable(dir, child, copies);
                    yield child;
                }
                case MemFile file -> copies.computeIfAbsent(file, f -> {
                    MemFile c = new MemFile();
                    c.data = f.durable.clone();
                    c.length = c.data.length;
                    c.durable = f.durable.clone();
                    return c;
                });
            };
            to.current.put(entry.getKey(), copy);
            to.durable.put(entry.getKey(), copy);
        }
    }

    /** A power loss that keeps no unsynced byte. */
    public void crash() {
        crash(new TearPolicy.DropAllUnsynced());
    }

    /**
     * A power loss: afterwards the file system holds only what was durable, plus the unsynced pages
     * that {@code tear} lets survive. Files are torn in path order, so a seeded policy replays exactly.
     */
    public synchronized void crash(TearPolicy tear) {
        generation++;
        revert(root, tear, Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    private static void revert(Dir dir, TearPolicy tear, Set<MemFile> torn) {
        dir.current = new TreeMap<>(dir.durable);
        for (Node node : dir.current.values()) {
            switch (node) {
                case Dir child -> revert(child, tear, torn);
                case MemFile file -> {
                    if (torn.add(file)) {
                        tearFile(file, tear);
                    }
                }
            }
        }
    }

    /** The durable bytes, overwritten by the unsynced pages that survive. */
    private static void tearFile(MemFile file, TearPolicy tear) {
        byte[] result = Arrays.copyOf(file.durable, Math.max(file.durable.length, file.length));
        int resultLength = file.durable.length;
        for (int from = 0; from < file.length; from += TearPolicy.PAGE_SIZE) {
            int to = Math.min(from + TearPolicy.PAGE_SIZE, file.length);
            boolean unsynced = to > file.durable.length
                    || !Arrays.equals(file.data, from, to, file.durable, from, to);
            if (unsynced && tear.survives(from / TearPolicy.PAGE_SIZE)) {
                System.arraycopy(file.data, from, result, from, to - from);
                resultLength = Math.max(resultLength, to);
            }
        }
        file.data = Arrays.copyOf(result, resultLength);
        file.length = resultLength;
        file.durable = Arrays.copyOf(result, resultLength);
    }

    // ---------------------------------------------------------------- paths

    private static Path normalize(Path path) {
        return path.toAbsolutePath().normalize();
    }

    private Node lookup(Path path) {
        Node node = root;
        for (Path name : normalize(path)) {
            if (!(node instanceof Dir dir)) {
                return null;
            }
            node = dir.current.get(name.toString());
            if (node == null) {
                return null;
            }
        }
        return node;
    }

    private Dir dir(Path path) throws IOException {
        return switch (lookup(path)) {
            case Dir dir -> dir;
            case MemFile file -> throw new NotDirectoryException(path.toString());
            case null -> throw new NoSuchFileException(path.toString());
        };
    }

    private MemFile file(Path path) throws IOException {
        return switch (lookup(path)) {
            case MemFile file -> file;
            case Dir dir -> throw new IOException(path + " is a directory");
            case null -> throw new NoSuchFileException(path.toString());
        };
    }

    private Dir parentOf(Path path) throws IOException {
        Path parent = normalize(path).getParent();
        if (parent == null) {
            throw new IOException("the root has no parent");
        }
        return dir(parent);
    }

    private static String nameOf(Path path) {
        return normalize(path).getFileName().toString();
    }

    private MemFile fileCreatingIt(Path path) throws IOException {
        Dir parent = parentOf(path);
        Node node = parent.current.computeIfAbsent(nameOf(path), name -> new MemFile());
        if (!(node instanceof MemFile file)) {
            throw new IOException(path + " is a directory");
        }
        return file;
    }

    private final class MemHandle implements FileHandle {
        private final MemFile file;
        private final long openedIn;
        private boolean closed;

        MemHandle(MemFile file, long openedIn) {
            this.file = file;
            this.openedIn = openedIn;
        }

        @Override
        public void write(byte[] bytes) throws IOException {
            synchronized (StrictMemFileSystem.this) {
                checkOpen();
                if (file.length + bytes.length > file.data.length) {
                    file.data = Arrays.copyOf(file.data, Math.max(file.length + bytes.length, 2 * file.data.length));
                }
                System.arraycopy(bytes, 0, file.data, file.length, bytes.length);
                file.length += bytes.length;
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            synchronized (StrictMemFileSystem.this) {
                checkOpen();
                if (size < file.length) {
                    file.length = (int) size;
                }
            }
        }

        @Override
        public void sync() throws IOException {
            synchronized (StrictMemFileSystem.this) {
                checkOpen();
                file.durable = Arrays.copyOf(file.data, file.length);
            }
        }

        @Override
        public long size() throws IOException {
            synchronized (StrictMemFileSystem.this) {
                checkOpen();
                return file.length;
            }
        }

        @Override
        public void close() {
            closed = true;
        }

        private void checkOpen() throws IOException {
            if (closed) {
                throw new IOException("file handle is closed");
            }
            if (openedIn != generation) {
                throw new IOException("file handle was opened before a crash");
            }
        }
    }
}
