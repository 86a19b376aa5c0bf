package raftkv.storage;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.ClusterConfig;
import raftkv.core.Snapshot;
import raftkv.storage.fs.FileSystem;
import raftkv.storage.fs.ReadableFile;

/**
 * The snapshot files of a data directory, {@code snapshot-<lastIncludedIndex>.snap}, each written
 * as a stream and then published atomically ({@link AtomicFileWriter}: write a temporary file, fsync
 * it, rename it, fsync the directory). A crash leaves a complete snapshot or none (a leftover temporary
 * file is deleted at open). Every file carries a CRC trailer ({@link Checksums}), checked on load by reading the file through once; the data is
 * then read from the file on demand ({@link SnapshotFileData}), never loaded whole.
 *
 * <pre>  "RKSN" version:int(3) lastIncludedIndex:long lastIncludedTerm:long configuration data dataLength:long crc32c:int</pre>
 *
 * The configuration is the one in force at lastIncludedIndex (dissertation §4.1, Figure 5.1), in
 * {@link EntryCodec#writeConfiguration}'s form: voters and learners with their URLs. The data's length
 * comes after it, so that the data can be streamed out as it is serialized. Versions 1 and 2 are
 * still read: they had {@code members:int (UTF)*} (voters by id, the fixed membership) where version 3
 * has the configuration, and version 1 had {@code length:int} before the data.
 */
final class SnapshotFiles {

    private static final Logger log = LoggerFactory.getLogger(SnapshotFiles.class);
    private static final int MAGIC = 0x52_4B_53_4E; // "RKSN"
    private static final int VERSION = 3;
    private static final int VERSION_1 = 1;
    private static final int HEAD_BYTES_READ = 64 * 1024; // enough for any header: member ids are short
    private static final int BUFFER_BYTES = 256 * 1024;
    private static final Pattern NAME = Pattern.compile("snapshot-(\\d{20})\\.snap");
    /** Older snapshots kept: if the newest is damaged, one of these may still continue the WAL. */
    static final int KEEP = 2;

    private final FileSystem fs;
    private final Path dir;

    SnapshotFiles(FileSystem fs, Path dir) {
        this.fs = fs;
        this.dir = dir.toAbsolutePath();
    }

    /** One snapshot file as found on disk. */
    sealed interface Found {
        long index();

        Path file();

        record Valid(long index, Path file, Snapshot snapshot) implements Found {}

        record Damaged(long index, Path file, String why) implements Found {}
    }

    /** What writes a snapshot's data to the file being written. */
    @FunctionalInterface
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    static String nameOf(long index) {
        return String.format("snapshot-%020d.snap", index);
    }

    Path fileOf(long index) {
        return dir.resolve(nameOf(index));
    }

    /** True if {@code snapshot}'s data is its published file in this directory: it is durable already. */
    boolean isPublished(Snapshot snapshot) {
        return snapshot.data() instanceof SnapshotFileData data && data.file().equals(fileOf(snapshot.lastIncludedIndex()));
    }

    /**
     * Writes a snapshot durably, its data streamed from {@code body} (through a buffer, never whole in
     * memory); when this returns it survives a power loss. Safe to call from another thread than the
     * one that persists the log: it touches only its own files.
     */
    Snapshot write(long index, long term, ClusterConfig configuration, Body body) throws IOException {
        Writing writing = begin(index, term, configuration);
        try {
            body.writeTo(writing.data());
            return writing.publish();
        } catch (IOException | RuntimeException e) {
            writing.abandon();
            throw e;
        }
    }

    /** Writes {@code snapshot}, whose data is anywhere else (memory, another file), durably here. */
    void save(Snapshot snapshot) throws IOException {
        write(snapshot.lastIncludedIndex(), snapshot.lastIncludedTerm(), snapshot.configuration(), out -> {
            try (InputStream in = snapshot.data().open()) {
                in.transferTo(out);
            }
        });
    }

    /** Starts the temporary file of a snapshot: the header now, the data as it comes. */
    Writing begin(long index, long term, ClusterConfig configuration) throws IOException {
        return new Writing(index, term, configuration);
    }

    /** A snapshot file being written: header, data, then at {@link #publish()} the trailer and the rename. */
    final class Writing {
        private final long index;
        private final long term;
        private final ClusterConfig configuration;
        private final AtomicFileWriter file;
        private final Checksums.TrailedOutput out;
        private final long dataOffset;

        private Writing(long index, long term, ClusterConfig configuration) throws IOException {
            this.index = index;
            this.term = term;
            this.configuration = configuration;
            this.file = AtomicFileWriter.begin(fs, fileOf(index));
            this.out = new Checksums.TrailedOutput(file.handle(), BUFFER_BYTES);
            DataOutputStream header = new DataOutputStream(out);
            header.writeInt(MAGIC);
            header.writeInt(VERSION);
            header.writeLong(index);
            header.writeLong(term);
            EntryCodec.writeConfiguration(configuration, header);
            this.dataOffset = out.count();
        }

        /** Where the data goes: appended, checksummed, buffered. */
        OutputStream data() {
            return out;
        }

        /** The data as it will be read once published: the bytes written so far, in the final file. */
        SnapshotFileData publishedData() {
            return new SnapshotFileData(fs, fileOf(index), dataOffset, out.count() - dataOffset);
        }

        /** Trailer, fsync, rename, directory fsync: when this returns, the snapshot survives a power loss. */
        Snapshot publish() throws IOException {
            return publish(publishedData());
        }

        Snapshot publish(SnapshotFileData data) throws IOException {
            if (data.size() != out.count() - dataOffset) {
                throw new IllegalStateException("data written after " + data + " was handed out");
            }
            new DataOutputStream(out).writeLong(data.size());
            out.finish(); // the CRC, and the buffer to the file
            file.publish();
            return new Snapshot(index, term, configuration, data);
        }

        /** Gives up: the temporary file goes (a crash would have left it for the next open to delete). */
        void abandon() {
            file.abandon();
        }
    }

    /** Every snapshot file, newest first, each checked; leftover temporary files are deleted. */
    List<Found> loadAll() throws IOException {
        List<Found> found = new ArrayList<>();
        for (Path path : fs.list(dir)) {
            String name = path.getFileName().toString();
            if (name.startsWith("snapshot-") && name.endsWith(AtomicFileWriter.TEMP_SUFFIX)) {
                fs.delete(path); // a save a crash interrupted: it was never published
                continue;
            }
            Matcher m = NAME.matcher(name);
            if (m.matches()) {
                found.add(read(Long.parseLong(m.group(1)), dir.resolve(name)));
            }
        }
        found.sort(Comparator.comparingLong(Found::index).reversed());
        return found;
    }

    /** Deletes all but the {@link #KEEP} newest snapshot files. */
    void deleteOld() throws IOException {
        List<Path> files = new ArrayList<>();
        for (Path path : fs.list(dir)) {
            if (NAME.matcher(path.getFileName().toString()).matches()) {
                files.add(dir.resolve(path.getFileName()));
            }
        }
        files.sort(Comparator.reverseOrder()); // zero-padded indexes sort like numbers
        for (Path old : files.subList(Math.min(KEEP, files.size()), files.size())) {
            fs.delete(old);
            log.debug("deleted old snapshot {}", old);
        }
    }

    private Found read(long index, Path file) throws IOException {
        try (ReadableFile in = fs.openForReading(file)) {
            long size = in.size();
            if (size < Checksums.BYTES) {
                return new Found.Damaged(index, file, "truncated to " + size + " bytes");
            }
            if (!Checksums.trailerHolds(in, size)) {
                return new Found.Damaged(index, file, "checksum mismatch");
            }
            byte[] head = new byte[(int) Math.min(HEAD_BYTES_READ, size - 4)];
            in.readFully(0, head, 0, head.length);
            DataInputStream header = new DataInputStream(new ByteArrayInputStream(head));
            int magic = header.readInt();
            int version = header.readInt();
            if (magic != MAGIC || version < VERSION_1 || version > VERSION) {
                return new Found.Damaged(index, file, "not a raftkv snapshot of version 1 to " + VERSION
                        + " (magic " + Integer.toHexString(magic) + ", version " + version + ")");
            }
            long lastIndex = header.readLong();
            long lastTerm = header.readLong();
            ClusterConfig configuration;
            if (version == VERSION) {
                configuration = EntryCodec.readConfiguration(header);
            } else {
                List<String> members = new ArrayList<>(); // versions 1 and 2: the fixed membership's voters
                for (int n = header.readInt(); n > 0; n--) {
                    members.add(header.readUTF());
                }
                configuration = ClusterConfig.ofVoterIds(members);
            }
            long dataOffset = head.length - header.available();
            long length;
            if (version == VERSION_1) {
                length = header.readInt();
                dataOffset += 4;
                if (length != size - 4 - dataOffset) {
                    return new Found.Damaged(index, file, "bad data length " + length);
                }
            } else {
                byte[] trailer = new byte[8];
                in.readFully(size - 12, trailer, 0, 8);
                length = ByteBuffer.wrap(trailer).getLong();
                if (length < 0 || length != size - 12 - dataOffset) {
                    return new Found.Damaged(index, file, "bad data length " + length);
                }
            }
            if (lastIndex != index) {
                return new Found.Damaged(index, file, "holds index " + lastIndex);
            }
            return new Found.Valid(index, file,
                    new Snapshot(lastIndex, lastTerm, configuration, new SnapshotFileData(fs, file, dataOffset, length)));
        } catch (IOException | RuntimeException e) {
            return new Found.Damaged(index, file, "malformed: " + e.getMessage());
        }
    }
}
