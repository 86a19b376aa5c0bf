package raftkv.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import raftkv.core.HardState;
import raftkv.storage.fs.FileSystem;

/**
 * currentTerm and votedFor, in their own small file, replaced atomically on every change
 * ({@link AtomicFileWriter}: write a temporary file, fsync it, rename it over the old one, fsync the
 * directory). A crash
 * leaves either the old or the new version, never a mix — so a node can never wake up having
 * forgotten a vote it gave (which would let it vote twice in one term, §5.2).
 *
 * <pre>  magic:int  term:long  hasVote:bool [votedFor:UTF]  crc32c(everything before):int</pre>
 */
public final class HardStateFile {

    private static final int MAGIC = 0x48_53_54_31; // "HST1"
    private static final int SMALLEST_FILE = 4 + 8 + 1 + 4;

    private final FileSystem fs;
    private final Path file;

    public HardStateFile(FileSystem fs, Path file) {
        this.fs = fs;
        this.file = file.toAbsolutePath();
    }

    /** The saved hard state, or {@link HardState#INITIAL} if none was ever saved. */
    public HardState load() throws IOException {
        if (!fs.exists(file)) {
            return HardState.INITIAL;
        }
        byte[] bytes = fs.readAllBytes(file);
        DataInputStream in = Checksums.verifiedBody(bytes, SMALLEST_FILE, this::corrupted);
        try {
            if (in.readInt() != MAGIC) {
                throw corrupted("is not a raftkv hard-state file (unknown magic)");
            }
            long term = in.readLong();
            String votedFor = in.readBoolean() ? in.readUTF() : null;
            if (in.available() != 0 || term < 0) {
                throw corrupted("is malformed");
            }
            return new HardState(term, votedFor);
        } catch (StorageCorruptedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupted("is malformed (" + e + ")");
        }
    }

    private StorageCorruptedException corrupted(String what) {
        return new StorageCorruptedException("hard state file " + file + " " + what + ". Refusing to start: this node"
                + " may have voted in a term it can no longer remember. Restore the data directory from a backup,"
                + " or remove the node from the cluster and add it back as a new one with an empty"
                + " directory (--join; docs/api.md, \"Membership\").");
    }

    /** Replaces the saved hard state; durable when this returns. */
    public void save(HardState state) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeLong(state.currentTerm());
        out.writeBoolean(state.votedFor() != null);
        if (state.votedFor() != null) {
            out.writeUTF(state.votedFor());
        }
        out.flush();
        AtomicFileWriter.replace(fs, file, Checksums.withTrailer(bytes.toByteArray()));
    }
}
