package raftkv.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class StrictMemFileSystemTest {

    private static final int PAGE = TearPolicy.PAGE_SIZE;
    private final StrictMemFileSystem fs = new StrictMemFileSystem();
    private final Path dir = Path.of("/data");
    private final Path file = dir.resolve("f");

    StrictMemFileSystemTest() throws IOException {
        fs.createDirectoriesDurably(dir);
    }

    private void createDurably(byte[] bytes) throws IOException {
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(bytes);
            handle.sync();
        }
        fs.syncDirectory(dir);
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    @Test
    void bytesWrittenAfterTheLastSyncAreLostAtAPowerLoss() throws IOException {
        createDurably(filled(10, 1));
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(filled(10, 2));
        }
        assertThat(fs.readAllBytes(file)).hasSize(20); // the page cache still has them...

        fs.crash();

        assertThat(fs.readAllBytes(file)).isEqualTo(filled(10, 1)); // ...the disk does not
    }

    @Test
    void aDurableImageHoldsWhatAPowerLossWouldLeaveAndLeavesTheLiveFileSystemAlone() throws IOException {
        createDurably(filled(10, 1));
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(filled(10, 2));
        }
        fs.openAppending(dir.resolve("unsynced-name")).close();

        StrictMemFileSystem image = fs.durableImage();

        assertThat(image.readAllBytes(file)).isEqualTo(filled(10, 1));
        assertThat(image.exists(dir.resolve("unsynced-name"))).isFalse();
        assertThat(fs.readAllBytes(file)).hasSize(20);
        assertThat(fs.exists(dir.resolve("unsynced-name"))).isTrue();
    }

    @Test
    void syncedBytesSurviveAPowerLoss() throws IOException {
        createDurably(filled(5000, 7));

        fs.crash();

        assertThat(fs.readAllBytes(file)).isEqualTo(filled(5000, 7));
    }

    @Test
    void aFileWhoseNameWasNeverSyncedIsLostEvenIfItsBytesWere() throws IOException {
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(filled(10, 1));
            handle.sync();
        }

        fs.crash();

        assertThat(fs.exists(file)).isFalse();
    }

    @Test
    void aRenameIsUndoneByAPowerLossUnlessTheDirectoryWasSynced() throws IOException {
        createDurably(filled(3, 1));
        fs.rename(file, dir.resolve("g"));
        fs.crash();
        assertThat(fs.list(dir)).containsExactly(file);

        fs.rename(file, dir.resolve("g"));
        fs.syncDirectory(dir);
        fs.crash();
        assertThat(fs.list(dir)).containsExactly(dir.resolve("g"));
        assertThat(fs.readAllBytes(dir.resolve("g"))).isEqualTo(filled(3, 1));
    }

    @Test
    void aDeletionIsUndoneByAPowerLossUnlessTheDirectoryWasSynced() throws IOException {
        createDurably(filled(3, 1));
        fs.delete(file);
        assertThat(fs.exists(file)).isFalse();

        fs.crash();

        assertThat(fs.readAllBytes(file)).isEqualTo(filled(3, 1));
    }

    @Test
    void aDirectoryWhoseParentWasNeverSyncedDisappearsWithEverythingInIt() throws IOException {
        Path child = dir.resolve("child");
        fs.createDirectory(child);
        try (FileHandle handle = fs.openAppending(child.resolve("x"))) {
            handle.write(filled(3, 1));
            handle.sync();
        }
        fs.syncDirectory(child); // durable inside a directory that is not itself durable

        fs.crash();

        assertThat(fs.exists(child)).isFalse();
        assertThat(fs.exists(dir)).isTrue();
    }

    @Test
    void createDirectoriesDurablyMakesEveryLevelSurviveAPowerLoss() throws IOException {
        Path nested = Path.of("/var/lib/raftkv/n1");
        fs.createDirectoriesDurably(nested);

        fs.crash();

        assertThat(fs.isDirectory(nested)).isTrue();
    }

    @Test
    void anUnsyncedTruncationIsUndoneByAPowerLoss() throws IOException {
        createDurably(filled(100, 1));
        try (FileHandle handle = fs.openAppending(file)) {
            handle.truncate(10);
            assertThat(handle.size()).isEqualTo(10);
        }

        fs.crash(new TearPolicy.KeepPages(Set.of(0L)));

        assertThat(fs.readAllBytes(file)).isEqualTo(filled(100, 1));
    }

    @Test
    void tearingKeepsTheChosenPagesAndZeroFillsTheLostOnesBeforeThem() throws IOException {
        createDurably(filled(100, 1));
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(filled(3 * PAGE, 2)); // unsynced: the rest of page 0, pages 1 and 2, the start of 3
        }

        fs.crash(new TearPolicy.KeepPages(Set.of(2L)));

        byte[] expected = new byte[3 * PAGE]; // ends where page 2 ends; page 3 was lost
        System.arraycopy(filled(100, 1), 0, expected, 0, 100); // the synced bytes of page 0
        System.arraycopy(filled(PAGE, 2), 0, expected, 2 * PAGE, PAGE);
        assertThat(fs.readAllBytes(file)).isEqualTo(expected);
    }

    @Test
    void aSurvivingPartialLastPageEndsTheFileWhereItsBytesEnd() throws IOException {
        createDurably(filled(10, 1));
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(filled(PAGE, 2)); // pages 0 and 1 (10 bytes of it)
        }

        fs.crash(new TearPolicy.KeepPages(Set.of(1L)));

        byte[] bytes = fs.readAllBytes(file);
        assertThat(bytes).hasSize(PAGE + 10);
        assertThat(Arrays.copyOfRange(bytes, 0, 10)).isEqualTo(filled(10, 1));
        assertThat(Arrays.copyOfRange(bytes, 10, PAGE)).isEqualTo(new byte[PAGE - 10]);
        assertThat(Arrays.copyOfRange(bytes, PAGE, PAGE + 10)).isEqualTo(filled(10, 2));
    }

    @Test
    void aSeededRandomTearReplaysExactly() throws IOException {
        byte[][] results = new byte[2][];
        for (int run = 0; run < 2; run++) {
            StrictMemFileSystem memFs = new StrictMemFileSystem();
            memFs.createDirectoriesDurably(dir);
            try (FileHandle handle = memFs.openAppending(file)) {
                handle.write(new byte[1]);
                handle.sync();
                memFs.syncDirectory(dir);
                for (int page = 0; page < 16; page++) {
                    handle.write(filled(PAGE, page + 1));
                }
            }
            memFs.crash(new TearPolicy.RandomPages(new SplittableRandom(42)));
            results[run] = memFs.readAllBytes(file);
        }
        assertThat(results[0]).isEqualTo(results[1]);
        assertThat(results[0].length).isBetween(1, 16 * PAGE + 1);
    }

    @Test
    void aHandleOpenedBeforeAPowerLossIsDeadAfterIt() throws IOException {
        createDurably(filled(1, 1));
        FileHandle handle = fs.openAppending(file);

        fs.crash();

        assertThatThrownBy(() -> handle.write(filled(1, 2))).isInstanceOf(IOException.class)
                .hasMessageContaining("before a crash");
    }

    @Test
    void missingParentsAndWrongKindsAreErrors() throws IOException {
        assertThatThrownBy(() -> fs.createDirectory(Path.of("/no/such"))).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> fs.readAllBytes(dir)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> fs.readAllBytes(dir.resolve("missing"))).isInstanceOf(IOException.class);
        fs.createDirectory(dir.resolve("sub"));
        fs.openAppending(dir.resolve("sub/x")).close();
        assertThatThrownBy(() -> fs.delete(dir.resolve("sub"))).isInstanceOf(IOException.class);
    }

    @Test
    void eachMisuseFailsAsTheRealFileSystemWould() throws IOException {
        createDurably(filled(1, 1));
        Path sub = dir.resolve("sub");
        fs.createDirectory(sub);

        assertThatThrownBy(() -> fs.createDirectory(sub)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> fs.delete(dir.resolve("missing"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> fs.rename(dir.resolve("missing"), dir.resolve("g")))
                .isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> fs.rename(file, sub)).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> fs.openAppending(sub)).isInstanceOf(IOException.class)
                .hasMessageContaining("is a directory");
        assertThatThrownBy(() -> fs.openTruncated(Path.of("/"))).isInstanceOf(IOException.class)
                .hasMessageContaining("root has no parent");
        assertThat(fs.exists(file.resolve("below-a-file"))).as("a file has no entries").isFalse();
        assertThat(fs.readAllBytes(file)).as("the failed rename left the file").containsExactly(1);

        fs.openAppending(sub.resolve("x")).close();
        assertThatThrownBy(() -> fs.delete(sub)).isInstanceOf(DirectoryNotEmptyException.class);
        fs.delete(sub.resolve("x"));
        fs.delete(sub);
        assertThat(fs.exists(sub)).as("an empty directory can be deleted").isFalse();
    }

    @Test
    void aClosedHandleRefusesEveryOperation() throws IOException {
        FileHandle handle = fs.openAppending(file);
        handle.close();

        assertThatThrownBy(() -> handle.write(filled(1, 1))).hasMessageContaining("closed");
        assertThatThrownBy(() -> handle.truncate(0)).hasMessageContaining("closed");
        assertThatThrownBy(handle::sync).hasMessageContaining("closed");
        assertThatThrownBy(handle::size).hasMessageContaining("closed");
    }

    @Test
    void aReaderSeesTheCurrentBytesUntilClosedOrAPowerLoss() throws IOException {
        createDurably(new byte[] {1, 2, 3});
        ReadableFile in = fs.openForReading(file);
        byte[] buffer = new byte[4];

        assertThat(in.size()).isEqualTo(3);
        assertThat(in.read(1, buffer, 0, 4)).as("only what is left after position 1").isEqualTo(2);
        assertThat(buffer).startsWith(2, 3);
        assertThat(in.read(3, buffer, 0, 4)).as("at the end").isEqualTo(-1);
        assertThat(in.read(3, buffer, 0, 0)).as("nothing asked at the end").isZero();
        in.close();
        assertThatThrownBy(in::size).hasMessageContaining("closed");
        assertThatThrownBy(() -> in.read(0, buffer, 0, 1)).hasMessageContaining("closed");

        ReadableFile again = fs.openForReading(file);
        fs.crash();
        assertThatThrownBy(again::size).hasMessageContaining("before a crash");
        assertThatThrownBy(() -> again.read(0, buffer, 0, 1)).hasMessageContaining("before a crash");
    }

    @Test
    void truncatingToMoreThanTheLengthChangesNothingAndWritesGrowTheFile() throws IOException {
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(filled(3, 1));
            handle.truncate(10);
            assertThat(handle.size()).isEqualTo(3);
            handle.truncate(3);
            assertThat(handle.size()).isEqualTo(3);
            for (int i = 0; i < 40; i++) {
                handle.write(filled(i, i)); // past each reallocation
            }
            assertThat(handle.size()).isEqualTo(3 + 39 * 40 / 2);
        }
        byte[] bytes = fs.readAllBytes(file);
        assertThat(bytes[3 + 38 * 39 / 2]).isEqualTo((byte) 39);
        assertThat(bytes[bytes.length - 1]).isEqualTo((byte) 39);
    }
}
