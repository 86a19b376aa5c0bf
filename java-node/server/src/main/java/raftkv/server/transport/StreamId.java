package raftkv.server.transport;

/**
 * Names a stream: the sending process's incarnation (its node's boot count) and a counter per
 * peer link. Streams are ordered by incarnation, then counter ({@link #newerThan}); a receiver
 * delivers only from the newest stream of each peer, so a stale connection of this process, or a
 * late one of a process that died, can neither reorder nor repeat anything.
 */
public record StreamId(long incarnation, long counter) {

    public static StreamId parse(String header) {
        String[] parts = header == null ? new String[0] : header.split("\\.", -1);
        if (parts.length != 2) {
            throw new IllegalArgumentException("expected <incarnation>.<counter>, got " + header);
        }
        return new StreamId(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }

    /**
     * The incarnation of a process: its node's boot count ({@link raftkv.server.BootCounter}) in
     * the high half, so a later start is a higher number whatever the clocks say, and a random
     * number in the low half, which tells apart two processes that claim the same count (a node
     * whose data directory was restored from a backup counts from an older number again).
     */
    public static long incarnation(long bootCount, int nonce) {
        if (bootCount < 1 || bootCount > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("boot count out of range: " + bootCount);
        }
        return bootCount << 32 | Integer.toUnsignedLong(nonce);
    }

    /** A later incarnation, or a later stream of the same one. */
    public boolean newerThan(StreamId other) {
        return incarnation != other.incarnation ? incarnation > other.incarnation : counter > other.counter;
    }

    /** Of an earlier incarnation than {@code other}: a process that started before it. */
    public boolean earlierIncarnationThan(StreamId other) {
        return incarnation < other.incarnation;
    }

    @Override
    public String toString() {
        return incarnation + "." + counter;
    }
}
