package raftkv.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Which pages a power loss may tear ({@link StrictMemFileSystem#crash(TearPolicy)}): exactly the
 * 4096-byte pages of a file that hold bytes written since its last fsync, a page rewritten after an
 * unsynced truncation included, and no page past the file's end.
 */
class TornPagesTest {

    private static final int PAGE = TearPolicy.PAGE_SIZE;
    private final StrictMemFileSystem fs = new StrictMemFileSystem();
    private final Path dir = Path.of("/data");
    private final Path file = dir.resolve("f");

    TornPagesTest() throws IOException {
        fs.createDirectoriesDurably(dir);
    }

    private static byte[] filled(int length, int value) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) value);
        return bytes;
    }

    /** A file whose name is durable and whose durable bytes are {@code bytes}; then {@code unsynced} appended. */
    private void create(byte[] bytes, byte[] unsynced) throws IOException {
        try (FileHandle handle = fs.openAppending(file)) {
            handle.write(bytes);
            handle.sync();
            handle.write(unsynced);
        }
        fs.syncDirectory(dir);
    }

    /** Counts the draws a {@link TearPolicy.RandomPages} makes: one per page that may be torn. */
    private static final class CountingRandom implements RandomGenerator {
        private final SplittableRandom random = new SplittableRandom(7);
        int draws;

        @Override
        public long nextLong() {
            draws++;
            return random.nextLong();
        }
    }

    @Test
    void aSeededTearDrawsOnceForEachUnsyncedPageAndForNothingElse() throws IOException {
        create(filled(PAGE, 1), filled(2 * PAGE, 2)); // page 0 synced, pages 1 and 2 not, the file ends at page 3
        CountingRandom random = new CountingRandom();

        fs.crash(new TearPolicy.RandomPages(random));

        assertThat(random.draws).isEqualTo(2);
    }

    @Test
    void aPageNumberAtTheFilesEndKeepsNothing() throws IOException {
        create(new byte[0], filled(2 * PAGE, 2)); // pages 0 and 1, both unsynced and lost

        fs.crash(new TearPolicy.KeepPages(Set.of(2L)));

        assertThat(fs.readAllBytes(file)).isEmpty();
    }

    @Test
    void aPageRewrittenAfterAnUnsyncedTruncationMaySurviveAsRewritten() throws IOException {
        create(filled(PAGE, 1), new byte[0]);
        try (FileHandle handle = fs.openAppending(file)) {
            handle.truncate(0);
            handle.write(filled(PAGE, 2)); // the same length, other bytes, never synced
        }

        fs.crash(new TearPolicy.KeepPages(Set.of(0L)));

        assertThat(fs.readAllBytes(file)).isEqualTo(filled(PAGE, 2));
    }
}
