package raftkv.storage.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link ReadableFile#readFully} over a reader that returns fewer bytes than asked, as a
 * {@link java.nio.channels.FileChannel}'s positional read may anywhere in a file: the bytes still
 * land where they belong, and a file that ends first is an error that says where.
 */
class ReadableFileTest {

    /** {@code bytes}, read back at most {@code most} bytes per call. */
    private record Stingy(byte[] bytes, int most) implements ReadableFile {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public int read(long position, byte[] buffer, int offset, int length) {
            if (position >= bytes.length) {
                return -1;
            }
            int n = (int) Math.min(Math.min(length, most), bytes.length - position);
            System.arraycopy(bytes, (int) position, buffer, offset, n);
            return n;
        }

        @Override
        public void close() {}
    }

    private static byte[] counting(int size) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (i + 1);
        }
        return bytes;
    }

    @Test
    void shortReadsAreGatheredIntoExactlyTheBytesAsked() throws IOException {
        ReadableFile file = new Stingy(counting(20), 3);
        byte[] buffer = new byte[12];

        file.readFully(5, buffer, 2, 8);

        byte[] expected = new byte[12];
        System.arraycopy(counting(20), 5, expected, 2, 8);
        assertThat(buffer).isEqualTo(expected);
    }

    @Test
    void aFileThatEndsFirstIsAnErrorNamingWhereItEnds() {
        ReadableFile file = new Stingy(counting(10), 3);
        byte[] buffer = new byte[6];

        assertThatThrownBy(() -> file.readFully(7, buffer, 1, 5)).isInstanceOf(EOFException.class)
                .hasMessage("the file ends at 10, before 12");
        assertThat(Arrays.copyOfRange(buffer, 1, 4)).as("what there was").containsExactly(8, 9, 10);
    }
}
