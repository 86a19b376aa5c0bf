package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Snapshot;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * The snapshot file format on its own: data streamed through the write buffer in any pattern reads
 * back byte for byte, and a file whose checksum is right but whose fields cannot be a snapshot's is
 * reported damaged, never used.
 */
class SnapshotFilesTest {

    private static final int BUFFER = 256 * 1024; // SnapshotFiles.BUFFER_BYTES
    private static final List<String> MEMBERS = List.of("n1");
    private static final int TRAILER = 8; // the data length, before the CRC

    private final StrictMemFileSystem fs = new StrictMemFileSystem();
    private final Path dir = Path.of("/data");
    private final SnapshotFiles files;

    SnapshotFilesTest() throws IOException {
        fs.createDirectoriesDurably(dir);
        files = new SnapshotFiles(fs, dir);
    }

    private static byte[] pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 31 + 7);
        }
        return bytes;
    }

    private Snapshot loadOnly() throws IOException {
        List<SnapshotFiles.Found> found = files.loadAll();
        assertThat(found).hasSize(1);
        assertThat(found.getFirst()).isInstanceOf(SnapshotFiles.Found.Valid.class);
        return ((SnapshotFiles.Found.Valid) found.getFirst()).snapshot();
    }

    private static byte[] readByteByByte(Snapshot snapshot) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        try (InputStream in = snapshot.data().open()) {
            for (int b = in.read(); b != -1; b = in.read()) {
                all.write(b);
            }
        }
        return all.toByteArray();
    }

    @Test
    void dataWrittenByteByByteAcrossTheBufferReadsBackByteByByte() throws IOException {
        byte[] data = pattern(BUFFER + 1000);
        files.write(5, 2, ClusterConfig.ofVoterIds(MEMBERS), out -> {
            for (byte b : data) {
                out.write(b);
            }
        });

        Snapshot snapshot = loadOnly();
        assertThat(snapshot.size()).isEqualTo(data.length);
        assertThat(readByteByByte(snapshot)).isEqualTo(data);
    }

    /** The header's bytes as written (format 3: magic, version, index, term, the configuration), measured. */
    private int headerBytes() throws IOException {
        Path probe = Path.of("/probe");
        fs.createDirectoriesDurably(probe);
        SnapshotFiles empty = new SnapshotFiles(fs, probe);
        empty.write(1, 2, ClusterConfig.ofVoterIds(MEMBERS), out -> {});
        return fs.readAllBytes(empty.fileOf(1)).length - TRAILER - Checksums.BYTES;
    }

    @Test
    void theChecksumFitsOrFollowsAFullBufferAtEveryOffsetNearItsEnd() throws IOException {
        int header = headerBytes();
        assertThat(header).as("magic, version, index, term, 1 voter (id and two empty URLs), 0 learners")
                .isEqualTo(4 + 4 + 8 + 8 + 4 + (2 + 2) + 2 + 2 + 4);
        for (int left = 0; left <= 5; left++) { // bytes left in the buffer when the CRC is added
            int size = BUFFER - header - TRAILER - left;
            byte[] data = pattern(size);
            long index = 10 + left;
            files.write(index, 2, ClusterConfig.ofVoterIds(MEMBERS), out -> out.write(data));
            fs.crash();

            List<SnapshotFiles.Found> found = files.loadAll();
            assertThat(found.getFirst()).as("%d bytes left", left).isInstanceOf(SnapshotFiles.Found.Valid.class);
            Snapshot snapshot = ((SnapshotFiles.Found.Valid) found.getFirst()).snapshot();
            assertThat(snapshot.lastIncludedIndex()).isEqualTo(index);
            assertThat(snapshot.data().read(0, size)).as("%d bytes left", left).isEqualTo(data);
        }
    }

    /**
     * What {@link SnapshotFileSink#finish} hands the core is the data as it will be published; bytes
     * written after that would be published without the core knowing them: refused, nothing published.
     */
    @Test
    void dataWrittenAfterItWasHandedOutIsRefusedAtPublish() throws IOException {
        SnapshotFiles.Writing writing = files.begin(5, 2, ClusterConfig.ofVoterIds(MEMBERS));
        writing.data().write(new byte[] {1, 2, 3});
        SnapshotFileData handedOut = writing.publishedData();
        writing.data().write(4);

        assertThatThrownBy(() -> writing.publish(handedOut)).isInstanceOf(IllegalStateException.class)
                .hasMessage("data written after 3 bytes in " + files.fileOf(5) + " was handed out");
        writing.abandon();
        assertThat(fs.list(dir)).as("neither the snapshot nor its temporary file").isEmpty();
    }

    /** A version 2 file with a correct CRC over whatever the fields say. */
    private void craft(long nameIndex, int magic, int version, long index, byte[] data, long lengthField)
            throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        out.writeInt(version);
        out.writeLong(index);
        out.writeLong(3);
        out.writeInt(1);
        out.writeUTF("n1");
        out.write(data);
        out.writeLong(lengthField);
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        try (FileHandle handle = fs.openTruncated(files.fileOf(nameIndex))) {
            handle.write(bytes.toByteArray());
            handle.sync();
        }
    }

    private String damage() throws IOException {
        List<SnapshotFiles.Found> found = files.loadAll();
        assertThat(found).hasSize(1);
        assertThat(found.getFirst()).isInstanceOf(SnapshotFiles.Found.Damaged.class);
        return ((SnapshotFiles.Found.Damaged) found.getFirst()).why();
    }

    private static final int MAGIC = 0x52_4B_53_4E;

    @Test
    void aCraftedFileWithEveryFieldRightIsValid() throws IOException {
        craft(7, MAGIC, 2, 7, new byte[] {1, 2, 3}, 3);

        Snapshot snapshot = loadOnly();
        assertThat(snapshot.lastIncludedTerm()).isEqualTo(3);
        assertThat(snapshot.data().read(0, 3)).containsExactly(1, 2, 3);
    }

    @Test
    void aFileOfAnotherKindOrVersionIsDamagedDespiteItsChecksum() throws IOException {
        craft(7, 0x52_4B_56_57, 2, 7, new byte[] {1}, 1);
        assertThat(damage()).contains("not a raftkv snapshot of version 1 to 3");

        craft(7, MAGIC, 4, 7, new byte[] {1}, 1); // a newer raftkv's: the error says which versions this one reads
        assertThat(damage()).contains("not a raftkv snapshot of version 1 to 3").contains("version 4");
    }

    @Test
    void aVersionBelowTheFirstIsDamagedDespiteItsChecksum() throws IOException {
        for (int version : new int[] {0, -1}) {
            craft(7, MAGIC, version, 7, new byte[] {1}, 1);
            assertThat(damage()).as("version %d", version).contains("not a raftkv snapshot of version 1 to 3");
        }
    }

    /** {@code body} and its CRC, durably, as the file of snapshot {@code nameIndex}. */
    private void writeChecksummed(long nameIndex, byte[] body) throws IOException {
        try (FileHandle handle = fs.openTruncated(files.fileOf(nameIndex))) {
            handle.write(Checksums.withTrailer(body));
            handle.sync();
        }
    }

    @Test
    void aVersion1FileWhoseLengthDisagreesWithTheFileIsDamaged() throws IOException {
        for (int lengthField : new int[] {2, 4, -1}) { // 3 bytes of data follow it
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(MAGIC);
            out.writeInt(1);
            out.writeLong(7);
            out.writeLong(3);
            out.writeInt(1);
            out.writeUTF("n1");
            out.writeInt(lengthField);
            out.write(new byte[] {1, 2, 3});
            writeChecksummed(7, bytes.toByteArray());
            assertThat(damage()).as("length field %d", lengthField).contains("bad data length " + lengthField);
        }
    }

    /**
     * A version 2 file cut so short that its length field overlaps its own header: no members (a
     * count of -1) and a length of -4, which is exactly what "the data ends where the length field
     * begins" gives for it. Only the check for a negative length tells it is not a snapshot.
     */
    @Test
    void aNegativeDataLengthIsDamagedEvenWhenTheFileAgreesWithIt() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(MAGIC);
        out.writeInt(2);
        out.writeLong(7);
        out.writeLong(3);
        out.writeLong(-4); // the member count (-1: none) and, from the same bytes on, the data length
        writeChecksummed(7, bytes.toByteArray());

        assertThat(damage()).contains("bad data length -4");
    }

    @Test
    void aFileHoldingAnotherIndexThanItsNameIsDamaged() throws IOException {
        craft(7, MAGIC, 2, 8, new byte[] {1}, 1);

        assertThat(damage()).contains("holds index 8");
    }

    @Test
    void aDataLengthThatDisagreesWithTheFileIsDamaged() throws IOException {
        craft(7, MAGIC, 2, 7, new byte[] {1, 2}, 1);
        assertThat(damage()).contains("bad data length 1");

        craft(7, MAGIC, 2, 7, new byte[] {1, 2}, -1);
        assertThat(damage()).contains("bad data length -1");
    }

    @Test
    void aFileShorterThanItsChecksumIsDamaged() throws IOException {
        for (int size = 0; size <= 4; size++) {
            try (FileHandle handle = fs.openTruncated(files.fileOf(7))) {
                handle.write(new byte[size]);
            }
            assertThat(damage()).as("%d bytes", size).isNotEmpty();
        }
        try (FileHandle handle = fs.openTruncated(files.fileOf(7))) {
            handle.write(new byte[3]);
        }
        assertThat(damage()).contains("truncated to 3 bytes");
    }

    @Test
    void aSnapshotsDataIsReadOnlyWithinItsBounds() throws IOException {
        files.write(5, 2, ClusterConfig.ofVoterIds(MEMBERS), out -> out.write(new byte[] {1, 2, 3}));
        Snapshot snapshot = loadOnly();

        assertThat(snapshot.data().read(2, 5)).as("what is left").containsExactly(3);
        assertThat(snapshot.data().read(3, 5)).as("at the end").isEmpty();
        assertThat(snapshot.data().read(1, 0)).as("nothing asked").isEmpty();
        assertThatThrownBy(() -> snapshot.data().read(-1, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> snapshot.data().read(4, 1)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> snapshot.data().read(0, -1)).isInstanceOf(IndexOutOfBoundsException.class);

        try (InputStream in = snapshot.data().open()) {
            byte[] buffer = new byte[8];
            assertThat(in.read(buffer, 0, 0)).as("nothing asked").isZero();
            assertThat(in.read(buffer, 1, 8 - 1)).isEqualTo(3);
            assertThat(buffer).startsWith(0, 1, 2, 3);
            assertThat(in.read(buffer, 0, 8)).as("the data ends before the file's trailer").isEqualTo(-1);
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.read(buffer, 0, 0)).as("nothing asked, at the end: InputStream's contract").isZero();
        }
    }
}
