package raftkv.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real disk cannot be power-cycled from a test; these check that the operations do what they say. */
class RealFileSystemTest {

    @TempDir
    Path tmp;

    private final FileSystem fs = new RealFileSystem();

    @Test
    void createDirectoriesDurablyCreatesEveryLevelAndAcceptsAnExistingOne() throws IOException {
        Path nested = tmp.resolve("a/b/c");
        fs.createDirectoriesDurably(nested);
        fs.createDirectoriesDurably(nested);

        assertThat(Files.isDirectory(nested)).isTrue();
    }

    @Test
    void anAppendingHandleWritesAtTheEndEvenAfterATruncation() throws IOException {
        Path file = tmp.resolve("f");
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(new byte[] {1, 2, 3});
            handle.sync();
        }
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(new byte[] {4});
            handle.truncate(2);
            handle.write(new byte[] {5});
            handle.sync();
            assertThat(handle.size()).isEqualTo(3);
        }
        assertThat(fs.readAllBytes(file)).containsExactly(1, 2, 5);
    }

    @Test
    void openTruncatedEmptiesAndRenameReplaces() throws IOException {
        Path file = tmp.resolve("f");
        Path temp = tmp.resolve("f.tmp");
        Files.write(file, new byte[] {9, 9});
        Files.write(temp, new byte[] {8, 8, 8});
        try (FileHandle handle = fs.openTruncated(temp)) {
            handle.write(new byte[] {1});
            handle.sync();
        }
        fs.rename(temp, file);
        fs.syncDirectory(tmp);

        assertThat(fs.readAllBytes(file)).containsExactly(1);
        assertThat(fs.list(tmp)).containsExactly(file);
        fs.delete(file);
        assertThat(fs.exists(file)).isFalse();
    }

    @Test
    void aReaderSeesTheFileUntilClosedAndAClosedHandleWritesNothing() throws IOException {
        Path file = tmp.resolve("f");
        assertThat(fs.exists(file)).isFalse();
        FileHandle handle = fs.openAppending(file);
        handle.write(new byte[] {1, 2, 3});
        assertThat(fs.exists(file)).isTrue();

        ReadableFile reader = fs.openForReading(file);
        assertThat(reader.size()).isEqualTo(3);
        byte[] two = new byte[2];
        assertThat(reader.read(1, two, 0, 2)).isEqualTo(2);
        assertThat(two).containsExactly(2, 3);
        assertThat(reader.read(3, two, 0, 2)).as("at the end").isEqualTo(-1);
        reader.close();
        assertThatThrownBy(() -> reader.read(0, two, 0, 2)).isInstanceOf(ClosedChannelException.class);

        handle.close();
        assertThatThrownBy(() -> handle.write(new byte[] {4})).isInstanceOf(ClosedChannelException.class);
        assertThat(fs.readAllBytes(file)).containsExactly(1, 2, 3);
    }
}
