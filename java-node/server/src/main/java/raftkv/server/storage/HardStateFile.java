package raftkv.server.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;
import raftkv.core.HardState;

/**
 * currentTerm and votedFor, in their own small file, replaced atomically on every change:
 * write a temporary file, fsync it, rename it over the old one, fsync the directory. A crash
 * leaves either the old or the new version, never a mix — so a node can never wake up having
 * forgotten a vote it gave (which would let it vote twice in one term, §5.2).
 *
 * <pre>  magic:int  term:long  hasVote:bool [votedFor:UTF]  crc32c(everything before):int</pre>
 */
public final class HardStateFile {

    private static final int MAGIC = 0x48_53_54_31; // "HST1"

    private final Path file;
    private final Path temp;

    public HardStateFile(Path file) {
        this.file = file;
        this.temp = file.resolveSibling(file.getFileName() + ".tmp");
    }

    /** The saved hard state, or {@link HardState#INITIAL} if none was ever saved. */
    public HardState load() throws IOException {
        if (!Files.exists(file)) {
            return HardState.INITIAL;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 4) {
            throw new WalCorruptedException("hard state file " + file + " is truncated");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int expected = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4));
        // Written atomically, so damage here is never a torn write: refuse rather than guess.
        if ((int) crc.getValue() != expected || in.readInt() != MAGIC) {
            throw new WalCorruptedException("hard state file " + file + " is corrupted (checksum mismatch)");
        }
        long term = in.readLong();
        String votedFor = in.readBoolean() ? in.readUTF() : null;
        return new HardState(term, votedFor);
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
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        out.flush();

        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes.toByteArray());
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Durability.syncDirectory(file.toAbsolutePath().getParent());
    }
}
