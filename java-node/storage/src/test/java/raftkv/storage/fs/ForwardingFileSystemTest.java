package raftkv.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The wrappers that watch or break a few operations (metrics, power cuts) rely on every other
 * operation doing exactly what the wrapped file system does: durability included.
 */
class ForwardingFileSystemTest {

    private final StrictMemFileSystem inner = new StrictMemFileSystem();
    private final FileSystem fs = new ForwardingFileSystem(inner) {
        @Override
        protected FileHandle wrap(FileHandle handle, Path file) {
            return new ForwardingFileHandle(handle) {};
        }
    };
    private final Path dir = Path.of("/data");

    @Test
    void everyOperationAndItsDurabilityAreTheWrappedFileSystems() throws IOException {
        fs.createDirectoriesDurably(dir);
        assertThat(fs.isDirectory(dir)).isTrue();
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        assertThat(fs.exists(a)).isFalse();

        try (FileHandle handle = fs.openAppending(a)) {
            handle.write(new byte[] {1, 2, 3, 4});
            handle.truncate(3);
            assertThat(handle.size()).isEqualTo(3);
            handle.sync();
        }
        fs.syncDirectory(dir);
        assertThat(fs.exists(a)).isTrue();
        assertThat(fs.isDirectory(a)).isFalse();
        assertThat(fs.readAllBytes(a)).containsExactly(1, 2, 3);
        try (ReadableFile in = fs.openForReading(a)) {
            byte[] two = new byte[2];
            in.readFully(1, two, 0, 2);
            assertThat(two).containsExactly(2, 3);
        }

        try (FileHandle handle = fs.openTruncated(b)) {
            handle.write(new byte[] {9});
            handle.sync();
        }
        fs.rename(b, dir.resolve("c"));
        fs.delete(a);
        assertThat(fs.list(dir)).containsExactly(dir.resolve("c"));
        fs.syncDirectory(dir);

        inner.crash();
        assertThat(fs.list(dir)).as("what the directory fsync made durable").containsExactly(dir.resolve("c"));
        assertThat(fs.readAllBytes(dir.resolve("c"))).containsExactly(9);
    }

    @Test
    void bytesWrittenAfterTheWrappersSyncAreLostAtAPowerLoss() throws IOException {
        fs.createDirectoriesDurably(dir);
        Path a = dir.resolve("a");
        try (FileHandle handle = fs.openAppending(a)) {
            handle.write(new byte[] {1});
            handle.sync();
            handle.write(new byte[] {2});
        }
        fs.syncDirectory(dir);

        inner.crash();
        assertThat(fs.readAllBytes(a)).containsExactly(1);
    }

    @Test
    void aForwarderThatWrapsNothingHandsOutTheWrappedFileSystemsOwnHandles() throws IOException {
        FileSystem plain = new ForwardingFileSystem(inner) {};
        plain.createDirectoriesDurably(dir);
        try (FileHandle handle = plain.openTruncated(dir.resolve("a"))) {
            handle.write(new byte[] {7});
            assertThat(handle.size()).isEqualTo(1);
        }
        assertThat(inner.readAllBytes(dir.resolve("a"))).containsExactly(7);
    }

    @Test
    void closingAForwardedHandleClosesTheWrappedOne() throws IOException {
        fs.createDirectoriesDurably(dir);
        FileHandle handle = fs.openAppending(dir.resolve("a"));
        handle.close();

        assertThatThrownBy(() -> handle.write(new byte[] {1})).isInstanceOf(IOException.class)
                .hasMessage("file handle is closed");
    }
}
