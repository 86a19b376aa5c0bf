package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import raftkv.core.HardState;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.ForwardingFileHandle;
import raftkv.storage.fs.ForwardingFileSystem;
import raftkv.storage.fs.StrictMemFileSystem;

class HardStateFileTest {

    private final StrictMemFileSystem fs = new StrictMemFileSystem();
    private final Path dir = Path.of("/data");
    private final Path path = dir.resolve("hardstate");

    HardStateFileTest() throws IOException {
        fs.createDirectoriesDurably(dir);
    }

    private HardStateFile file() {
        return new HardStateFile(fs, path);
    }

    private void overwrite(byte[] bytes) throws IOException {
        try (FileHandle handle = fs.openTruncated(path)) {
            handle.write(bytes);
            handle.sync();
        }
    }

    @Test
    void aFreshDirectoryMeansTermZeroAndNoVote() throws IOException {
        assertThat(file().load()).isEqualTo(HardState.INITIAL);
    }

    @Test
    void theLatestSavedTermAndVoteAreLoaded() throws IOException {
        file().save(new HardState(3, "n2"));
        file().save(new HardState(7, null));
        file().save(new HardState(7, "n1"));

        assertThat(file().load()).isEqualTo(new HardState(7, "n1"));
    }

    @Test
    void aSavedVoteSurvivesAPowerLoss() throws IOException {
        file().save(new HardState(3, "n2"));
        file().save(new HardState(4, "n3"));

        fs.crash();

        assertThat(file().load()).as("the vote saved before the power loss").isEqualTo(new HardState(4, "n3"));
    }

    @Test
    void savingLeavesNoTemporaryFileBehind() throws IOException {
        file().save(new HardState(1, "n1"));

        assertThat(fs.list(dir)).containsExactly(path);
    }

    @Test
    void aCorruptedFileRefusesRatherThanForgetAVote() throws IOException {
        file().save(new HardState(4, "n3"));
        byte[] bytes = fs.readAllBytes(path);
        bytes[6] ^= 1;
        overwrite(bytes);

        assertThatThrownBy(() -> file().load()).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("checksum mismatch")
                .hasMessageContaining("Refusing to start");
    }

    @Test
    void aTruncatedFileRefusesRatherThanForgetAVote() throws IOException {
        file().save(new HardState(4, "n3"));
        byte[] bytes = fs.readAllBytes(path);
        for (int length : new int[] {bytes.length - 1, 16, 3, 0}) {
            overwrite(Arrays.copyOf(bytes, length));

            assertThatThrownBy(() -> file().load()).as("cut to %d bytes", length)
                    .isInstanceOf(StorageCorruptedException.class)
                    .hasMessageContaining("Refusing to start");
        }
    }

    /** A file whose checksum is right, so that only the field checks can refuse it. */
    private static byte[] checksummed(int magic, long term, String vote, byte[] trailing) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        out.writeLong(term);
        out.writeBoolean(vote != null);
        if (vote != null) {
            out.writeUTF(vote);
        }
        out.write(trailing);
        CRC32C crc = new CRC32C();
        crc.update(bytes.toByteArray());
        out.writeInt((int) crc.getValue());
        return bytes.toByteArray();
    }

    @Test
    void aWellChecksummedFileIsReadFieldByField() throws IOException {
        overwrite(checksummed(0x48_53_54_31, 9, "n2", new byte[0]));

        assertThat(file().load()).isEqualTo(new HardState(9, "n2"));
    }

    @Test
    void aFileOfAnotherKindIsRefusedEvenWithAValidChecksum() throws IOException {
        overwrite(checksummed(0x52_4B_56_57, 9, "n2", new byte[0])); // a WAL's magic

        assertThatThrownBy(() -> file().load()).isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("unknown magic");
    }

    @Test
    void aNegativeTermOrTrailingBytesAreRefusedEvenWithAValidChecksum() throws IOException {
        overwrite(checksummed(0x48_53_54_31, -1, "n2", new byte[0]));
        assertThatThrownBy(() -> file().load()).as("term -1").isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("is malformed");

        overwrite(checksummed(0x48_53_54_31, 9, "n2", new byte[] {7}));
        assertThatThrownBy(() -> file().load()).as("a byte after the vote").isInstanceOf(StorageCorruptedException.class)
                .hasMessageContaining("is malformed");
    }

    @Test
    void termZeroIsAValidTerm() throws IOException {
        overwrite(checksummed(0x48_53_54_31, 0, null, new byte[0]));

        assertThat(file().load()).isEqualTo(new HardState(0, null));
    }

    /** A disk that is full: every write fails. It keeps the handles it gave out and has not seen closed. */
    private static final class FullDisk extends ForwardingFileSystem {
        final Set<FileHandle> open = Collections.newSetFromMap(new IdentityHashMap<>());

        FullDisk(StrictMemFileSystem inner) {
            super(inner);
        }

        @Override
        protected FileHandle wrap(FileHandle handle, Path file) {
            FileHandle wrapped = new ForwardingFileHandle(handle) {
                @Override
                public void write(byte[] bytes) throws IOException {
                    throw new IOException("No space left on device");
                }

                @Override
                public void close() throws IOException {
                    open.remove(this);
                    super.close();
                }
            };
            open.add(wrapped);
            return wrapped;
        }
    }

    @Test
    void aSaveThatCannotWriteKeepsTheSavedVoteAndLeavesNoFileOpen() throws IOException {
        file().save(new HardState(3, "n2"));
        FullDisk full = new FullDisk(fs);

        assertThatThrownBy(() -> new HardStateFile(full, path).save(new HardState(4, "n1")))
                .hasMessage("No space left on device");

        assertThat(full.open).as("the temporary file's handle").isEmpty();
        fs.crash();
        assertThat(file().load()).isEqualTo(new HardState(3, "n2"));
    }
}
