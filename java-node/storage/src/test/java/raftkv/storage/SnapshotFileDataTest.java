package raftkv.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import raftkv.core.ClusterConfig;
import raftkv.core.Snapshot;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.FileSystem;
import raftkv.storage.fs.ForwardingFileSystem;
import raftkv.storage.fs.ReadableFile;
import raftkv.storage.fs.StrictMemFileSystem;

/**
 * A snapshot's data read where it lies in its file: a file cut short under a reader is an error,
 * never a shorter snapshot, and the file a snapshot opened is closed once nothing refers to it.
 */
class SnapshotFileDataTest {

    private static final Path DIR = Path.of("/data");

    private final StrictMemFileSystem mem = new StrictMemFileSystem();

    SnapshotFileDataTest() throws IOException {
        mem.createDirectoriesDurably(DIR);
    }

    private static byte[] pattern(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i * 7 + 1);
        }
        return bytes;
    }

    private static Snapshot writeAndLoad(FileSystem fs, byte[] data) throws IOException {
        SnapshotFiles files = new SnapshotFiles(fs, DIR);
        files.write(9, 2, ClusterConfig.ofVoterIds(java.util.List.of("n1")), out -> out.write(data));
        return ((SnapshotFiles.Found.Valid) files.loadAll().getFirst()).snapshot();
    }

    @Test
    void aSnapshotFileCutShortUnderItsReaderIsAnErrorNotAShorterSnapshot() throws IOException {
        Snapshot snapshot = writeAndLoad(mem, pattern(1000));
        Path file = DIR.resolve(SnapshotFiles.nameOf(9));
        long cut = mem.readAllBytes(file).length - 12 - 600; // 400 bytes of data are left
        try (FileHandle handle = mem.openAppending(file)) {
            handle.truncate(cut);
        }

        try (InputStream in = snapshot.data().open()) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(EOFException.class)
                    .hasMessageContaining("the snapshot file ends at " + cut);
        }
        assertThatThrownBy(() -> snapshot.data().read(0, 1000)).isInstanceOf(UncheckedIOException.class)
                .hasCauseInstanceOf(EOFException.class);
        assertThat(snapshot.data().read(0, 400)).as("what is still there reads as written")
                .isEqualTo(java.util.Arrays.copyOf(pattern(1000), 400));
    }

    /** Counts the files opened for reading and not closed yet; the cleaner closes them on its own thread. */
    private static final class ReadersCounting extends ForwardingFileSystem {
        final AtomicInteger open = new AtomicInteger();

        ReadersCounting(FileSystem inner) {
            super(inner);
        }

        @Override
        public ReadableFile openForReading(Path file) throws IOException {
            ReadableFile reader = inner.openForReading(file);
            open.incrementAndGet();
            return new ReadableFile() {
                @Override
                public long size() throws IOException {
                    return reader.size();
                }

                @Override
                public int read(long position, byte[] buffer, int offset, int length) throws IOException {
                    return reader.read(position, buffer, offset, length);
                }

                @Override
                public void close() throws IOException {
                    open.decrementAndGet();
                    reader.close();
                }
            };
        }
    }

    /** Reads a chunk, as a leader does for InstallSnapshot, and forgets the snapshot. */
    private static void readAChunkAndForget(FileSystem fs) throws IOException {
        Snapshot snapshot = writeAndLoad(fs, pattern(100));
        assertThat(snapshot.data().read(10, 5)).isEqualTo(java.util.Arrays.copyOfRange(pattern(100), 10, 15));
    }

    @Test
    void theFileASnapshotOpenedIsClosedOnceNothingRefersToTheSnapshot() throws Exception {
        ReadersCounting fs = new ReadersCounting(mem);
        readAChunkAndForget(fs);
        assertThat(fs.open).as("the loaded snapshot's own file, kept open for its reads").hasValue(1);

        long deadline = System.nanoTime() + 10_000_000_000L;
        while (fs.open.get() > 0 && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(fs.open).as("closed by the cleaner").hasValue(0);
    }
}
