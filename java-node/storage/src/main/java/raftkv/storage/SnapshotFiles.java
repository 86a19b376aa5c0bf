package raftkv.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import raftkv.core.Snapshot;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;

/**
 * The snapshot files of a data directory, {@code snapshot-<lastIncludedIndex>.snap}, each written
 * whole and then published atomically: write a temporary file, fsync it, rename it, fsync the
 * directory. A crash leaves a complete snapshot or none (a leftover temporary file is deleted at
 * open). Every file carries a CRC, checked on load.
 *
 * <pre>  "RKSN" version:int(1) lastIncludedIndex:long lastIncludedTerm:long members:int (UTF)* length:int data crc32c:int</pre>
 */
final class SnapshotFiles {

    private static final Logger log = LoggerFactory.getLogger(SnapshotFiles.class);
    private static final int MAGIC = 0x52_4B_53_4E; // "RKSN"
    private static final int VERSION = 1;
    private static final Pattern NAME = Pattern.compile("snapshot-(\\d{20})\\.snap");
    static final String TEMP_SUFFIX = ".tmp";
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

    static String nameOf(long index) {
        return String.format("snapshot-%020d.snap", index);
    }

    /** Writes {@code snapshot} durably; when this returns it survives a power loss. */
    void save(Snapshot snapshot) throws IOException {
        Path file = dir.resolve(nameOf(snapshot.lastIncludedIndex()));
        Path temp = dir.resolve(file.getFileName() + TEMP_SUFFIX);
        try (FileHandle handle = fs.openTruncated(temp)) {
            handle.write(encode(snapshot));
            handle.sync(); // the bytes first: a rename that survives must never name lost bytes
        }
        fs.rename(temp, file);
        fs.syncDirectory(dir); // the new name is an entry of the directory
    }

    /** Every snapshot file, newest first, each read and checked; leftover temporary files are deleted. */
    List<Found> loadAll() throws IOException {
        List<Found> found = new ArrayList<>();
        for (Path path : fs.list(dir)) {
            String name = path.getFileName().toString();
            if (name.startsWith("snapshot-") && name.endsWith(TEMP_SUFFIX)) {
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

    private static byte[] encode(Snapshot snapshot) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(snapshot.size() + 64);
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(snapshot.lastIncludedIndex());
        out.writeLong(snapshot.lastIncludedTerm());
        out.writeInt(snapshot.members().size());
        for (String member : snapshot.members()) {
            out.writeUTF(member);
        }
        byte[] data = snapshot.data();
        out.writeInt(data.length);
        out.write(data);
        out.flush();
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }

    private Found read(long index, Path file) throws IOException {
        byte[] bytes = fs.readAllBytes(file);
        if (bytes.length < 4) {
            return new Found.Damaged(index, file, "truncated to " + bytes.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) {
            return new Found.Damaged(index, file, "checksum mismatch");
        }
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4));
            if (in.readInt() != MAGIC || in.readInt() != VERSION) {
                return new Found.Damaged(index, file, "not a version " + VERSION + " raftkv snapshot");
            }
            long lastIndex = in.readLong();
            long lastTerm = in.readLong();
            List<String> members = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                members.add(in.readUTF());
            }
            int length = in.readInt();
            if (length < 0 || length != in.available()) {
                return new Found.Damaged(index, file, "bad data length " + length);
            }
            Snapshot snapshot = new Snapshot(lastIndex, lastTerm, members, in.readNBytes(length));
            if (lastIndex != index) {
                return new Found.Damaged(index, file, "holds index " + lastIndex);
            }
            return new Found.Valid(index, file, snapshot);
        } catch (IOException | RuntimeException e) {
            return new Found.Damaged(index, file, "malformed: " + e.getMessage());
        }
    }
}
