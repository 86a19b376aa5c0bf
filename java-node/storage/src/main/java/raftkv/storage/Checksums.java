package raftkv.storage;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Function;
import java.util.zip.CRC32C;
import raftkv.storage.fs.FileHandle;
import raftkv.storage.fs.ReadableFile;

/**
 * The CRC-32C framing of a data directory's files, in one place. A whole file (the hard state, a
 * snapshot) ends with a trailer, the CRC of every byte before it; a WAL record's header holds the CRC
 * of its length, its syncedOffset and its payload (see {@link Wal}). Every check that a file or a
 * record is intact goes through here.
 */
final class Checksums {

    /** The size of a CRC as it is stored: a big-endian int. */
    static final int BYTES = 4;
    private static final int READ_BUFFER_BYTES = 256 * 1024;

    private Checksums() {}

    /** {@code body} followed by its trailer. */
    static byte[] withTrailer(byte[] body) {
        CRC32C crc = new CRC32C();
        crc.update(body);
        return ByteBuffer.allocate(body.length + BYTES).put(body).putInt((int) crc.getValue()).array();
    }

    /**
     * The body of a small whole file written with {@link #withTrailer} (the hard state, the identity):
     * at least {@code smallest} bytes and its trailer intact, or the exception {@code damaged} makes
     * from what is wrong. Such files are replaced atomically, so damage is never a torn write: the
     * caller refuses rather than guesses.
     */
    static DataInputStream verifiedBody(byte[] bytes, int smallest, Function<String, StorageCorruptedException> damaged)
            throws StorageCorruptedException {
        if (bytes.length < Math.max(smallest, BYTES)) {
            throw damaged.apply("is truncated (" + bytes.length + " bytes)");
        }
        if (!trailerHolds(bytes)) {
            throw damaged.apply("is corrupted (checksum mismatch)");
        }
        return new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - BYTES));
    }

    /** True if the last {@link #BYTES} of {@code bytes} (at least that long) are the CRC of the rest. */
    static boolean trailerHolds(byte[] bytes) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - BYTES);
        return (int) crc.getValue() == ByteBuffer.wrap(bytes, bytes.length - BYTES, BYTES).getInt();
    }

    /**
     * True if the last {@link #BYTES} of a file {@code size} bytes long (at least that long) are the CRC of
     * the bytes before them, which are read through a buffer, never whole.
     */
    static boolean trailerHolds(ReadableFile in, long size) throws IOException {
        byte[] stored = new byte[BYTES];
        in.readFully(size - BYTES, stored, 0, BYTES);
        long length = size - BYTES;
        CRC32C crc = new CRC32C();
        byte[] buffer = new byte[(int) Math.min(READ_BUFFER_BYTES, Math.max(1, length))];
        for (long position = 0; position < length; ) {
            int n = in.read(position, buffer, 0, (int) Math.min(buffer.length, length - position));
            if (n < 0) {
                throw new EOFException("the file ends at " + position);
            }
            crc.update(buffer, 0, n);
            position += n;
        }
        return (int) crc.getValue() == ByteBuffer.wrap(stored).getInt();
    }

    /**
     * The CRC a WAL record's header holds: over the 12 bytes after the header's magic (length,
     * syncedOffset) and over the payload.
     */
    static int ofWalRecord(byte[] header, int headerOffset, byte[] payload, int payloadOffset, int payloadLength) {
        CRC32C crc = new CRC32C();
        crc.update(header, headerOffset + 4, 12);
        crc.update(payload, payloadOffset, payloadLength);
        return (int) crc.getValue();
    }

    /**
     * Appends to a file through a buffer, keeping the CRC-32C and the count of every byte; {@link #finish}
     * adds the trailer (not itself checksummed) and writes out the buffer.
     */
    static final class TrailedOutput extends OutputStream {
        private final FileHandle handle;
        private final CRC32C crc = new CRC32C();
        private final byte[] buffer;
        private int buffered;
        private long count;

        TrailedOutput(FileHandle handle, int bufferBytes) {
            this.handle = handle;
            this.buffer = new byte[bufferBytes];
        }

        long count() {
            return count;
        }

        @Override
        public void write(int b) throws IOException {
            if (buffered == buffer.length) {
                drain();
            }
            buffer[buffered++] = (byte) b;
            crc.update(b);
            count++;
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            crc.update(bytes, offset, length);
            count += length;
            while (length > 0) {
                if (buffered == buffer.length) {
                    drain();
                }
                int n = Math.min(length, buffer.length - buffered);
                System.arraycopy(bytes, offset, buffer, buffered, n);
                buffered += n;
                offset += n;
                length -= n;
            }
        }

        /** The trailer, and the buffer to the file. */
        void finish() throws IOException {
            byte[] value = ByteBuffer.allocate(BYTES).putInt((int) crc.getValue()).array();
            if (buffered + BYTES > buffer.length) {
                drain();
            }
            System.arraycopy(value, 0, buffer, buffered, BYTES);
            buffered += BYTES;
            drain();
        }

        private void drain() throws IOException {
            // The handle writes the bytes before it returns and keeps no reference: the buffer is reused.
            handle.write(buffered == buffer.length ? buffer : Arrays.copyOf(buffer, buffered));
            buffered = 0;
        }
    }
}
