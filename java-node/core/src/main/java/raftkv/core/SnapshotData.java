package raftkv.core;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;

/**
 * The state machine's bytes in a {@link Snapshot}, wherever they are kept: in memory (tests, the
 * simulator's small states), or in the snapshot's file, read back on demand (the server), so that a
 * snapshot the core holds for InstallSnapshot costs no heap. Read-only once made; a leader reads
 * one chunk at a time from it, a state machine streams it whole to restore itself.
 *
 * <p>The core reads through this interface and never writes: reading a chunk of a file is the one
 * thing it does that may touch a disk (as etcd-io/raft reads entries through its Storage). A read
 * that fails throws {@link java.io.UncheckedIOException}: the node cannot go on.
 */
public interface SnapshotData {

    /** Bytes of state machine data. */
    long size();

    /** The {@code length} bytes from {@code offset}, fewer only where the data ends: one InstallSnapshot chunk. */
    byte[] read(long offset, int length);

    /** The whole data from its first byte, to read once and close. */
    InputStream open();

    /** Every byte in one array: for tests and checkers, whose states are small. */
    default byte[] readAll() {
        return read(0, Math.toIntExact(size()));
    }

    /** Data held in {@code bytes}, which the caller hands over: nothing copies it, nobody may change it. */
    static SnapshotData of(byte[] bytes) {
        return new InMemory(bytes);
    }

    /** Bytes in memory; equal to other in-memory data with the same bytes. */
    record InMemory(byte[] bytes) implements SnapshotData {

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public byte[] read(long offset, int length) {
            int from = Math.toIntExact(offset);
            return Arrays.copyOfRange(bytes, from, Math.min(bytes.length, from + length));
        }

        @Override
        public InputStream open() {
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public byte[] readAll() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof InMemory other && Arrays.equals(bytes, other.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return bytes.length + " bytes in memory";
        }
    }
}
