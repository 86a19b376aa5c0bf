package raftkv.storage;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import raftkv.storage.fs.FileSystem;

/**
 * The data directory's identity ({@link StoredIdentity}), in its own small file replaced atomically as
 * the hard state is: a temporary file, fsync, rename over the old one, fsync of the directory. A crash
 * leaves the old identity or the new one, never a mix; damage is refused, never guessed around.
 *
 * <pre>
 *   magic:int  node:UTF  incarnation:long  member:bool
 *   [clusterId:UTF  count:int  (id:UTF incarnation:long) * count]  crc32c(everything before):int
 * </pre>
 */
public final class IdentityFile {

    public static final String FILE = "identity";

    private static final int MAGIC = 0x49_44_4e_31; // "IDN1"
    private static final int SMALLEST_FILE = 4 + 2 + 8 + 1 + 4;
    /**
     * The identity's member table is the configuration's members, so it holds as many as a
     * configuration entry may ({@link EntryCodec#MAX_MEMBERS}): any configuration a node can store
     * it can also describe here, and a count beyond is damage, not a cluster.
     */
    static final int MAX_MEMBERS = EntryCodec.MAX_MEMBERS;

    private final FileSystem fs;
    private final Path file;

    public IdentityFile(FileSystem fs, Path dataDir) {
        this.fs = fs;
        this.file = dataDir.resolve(FILE).toAbsolutePath();
    }

    /** The saved identity; empty if the directory never had one (a new node, or one that lost its data). */
    public Optional<StoredIdentity> load() throws IOException {
        if (!fs.exists(file)) {
            return Optional.empty();
        }
        byte[] bytes = fs.readAllBytes(file);
        DataInputStream in = Checksums.verifiedBody(bytes, SMALLEST_FILE, this::corrupted);
        try {
            if (in.readInt() != MAGIC) {
                throw corrupted("is not a raftkv identity file (unknown magic)");
            }
            String node = in.readUTF();
            long incarnation = in.readLong();
            StoredIdentity identity;
            if (in.readBoolean()) {
                String clusterId = in.readUTF();
                int count = in.readInt();
                if (count < 1 || count > MAX_MEMBERS) {
                    throw corrupted("is malformed (" + count + " members)");
                }
                Map<String, Long> incarnations = new TreeMap<>();
                for (int i = 0; i < count; i++) {
                    incarnations.put(in.readUTF(), in.readLong());
                }
                identity = new StoredIdentity.Member(node, incarnation, clusterId, new TreeMap<>(incarnations));
            } else {
                identity = new StoredIdentity.Bootstrapping(node, incarnation);
            }
            if (in.available() != 0) {
                throw corrupted("is malformed (bytes after the identity)");
            }
            return Optional.of(identity);
        } catch (StorageCorruptedException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw corrupted("is malformed (" + e + ")");
        }
    }

    private StorageCorruptedException corrupted(String what) {
        return new StorageCorruptedException("identity file " + file + " " + what + ". Refusing to start: without it"
                + " this node cannot show its peers that its data directory is the one they know. Restore the data"
                + " directory from a backup, or remove the node from the cluster and add it again as a new one"
                + " (docs/api.md, \"Membership\").");
    }

    /** Replaces the saved identity; durable when this returns. */
    public void save(StoredIdentity identity) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeUTF(identity.node());
        out.writeLong(identity.incarnation());
        switch (identity) {
            case StoredIdentity.Bootstrapping bootstrapping -> out.writeBoolean(false);
            case StoredIdentity.Member member -> {
                if (member.incarnations().size() > MAX_MEMBERS) {
                    // load() would refuse such a file: never write an identity the node cannot read back.
                    throw new IOException("identity of " + identity.node() + ": " + member.incarnations().size()
                            + " members, more than the " + MAX_MEMBERS + " an identity file holds; nothing was written");
                }
                out.writeBoolean(true);
                out.writeUTF(member.clusterId());
                out.writeInt(member.incarnations().size());
                for (Map.Entry<String, Long> entry : member.incarnations().entrySet()) {
                    out.writeUTF(entry.getKey());
                    out.writeLong(entry.getValue());
                }
            }
        }
        out.flush();
        AtomicFileWriter.replace(fs, file, Checksums.withTrailer(bytes.toByteArray()));
    }
}
