package raftkv.core;

/**
 * How many bytes the map Id => name may hold: beyond, a write that would grow it is refused with
 * {@link Result.QuotaExceeded} instead of the node running out of memory (as etcd's NOSPACE alarm
 * refuses writes once its backend reaches {@code --quota-backend-bytes}).
 *
 * <p>"State bytes" estimate what the map costs on the heap, not what it costs on disk: each entry
 * counts {@link #entryBytes(String, String)} = UTF-8 bytes of the id + UTF-8 bytes of the name +
 * {@link #ENTRY_OVERHEAD_BYTES}. The overhead was measured on a 64-bit HotSpot JVM with compressed
 * references (any heap below 32 GiB) holding 200,000 entries of a {@code TreeMap<String, String>}:
 * 127 to 131 bytes per entry beyond the strings' characters, which is a {@code TreeMap.Entry}
 * (40 bytes), two {@code String} objects (24 each), the headers of their two {@code byte[]} (16
 * each), and each array padded to 8 bytes. UTF-8 never undercounts a compact string's array (one byte
 * per Latin-1 character, two per other UTF-16 unit). The client-session table is not counted here:
 * {@link SessionLimits#maxSessions()} bounds it on its own.
 *
 * <p>Part of the replicated state machine's definition, like {@link SessionLimits}: every node of a
 * cluster must use the same value. With different quotas, one node could refuse a put that another
 * applies, and their maps would differ from then on (a State Machine Safety violation). The decision
 * depends only on the quota and the entries applied before, in log order, so equal quotas agree.
 *
 * @param maxBytes the largest total of state bytes a write may leave behind; writes that do not grow
 *     the total (deletes, a put of a name no longer than the one it replaces) are never refused
 */
public record StateQuota(long maxBytes) {

    /** What the JVM keeps for one map entry beyond its two strings' characters (measured, above). */
    public static final int ENTRY_OVERHEAD_BYTES = 128;

    /** No quota: for tests and the simulator, whose states are small. */
    public static final StateQuota UNLIMITED = new StateQuota(Long.MAX_VALUE);

    public StateQuota {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("the state quota must be >= 0 bytes, got " + maxBytes);
        }
    }

    /**
     * The default: half of the heap ({@code Runtime.maxMemory()}). At {@code -Xmx512m} that is
     * 256 MiB, which admits the state of 1,000,000 entries with 100-byte names and ~10-byte ids
     * (1,000,000 × 238 = 238 MB), or 400,000 with 200-byte names (135 MB). The other half is for
     * what the state costs beside itself: the log kept behind a snapshot, a snapshot being taken,
     * sent or installed, the client sessions ({@code --max-sessions}), requests in flight and the
     * HTTP server's buffers. Nodes started with the same {@code -Xmx} get the same default; nodes
     * with different heaps must be given one {@code --max-state-bytes}.
     */
    public static StateQuota halfOfHeap(long maxHeapBytes) {
        return new StateQuota(maxHeapBytes / 2);
    }

    /** The estimated heap cost of one map entry (see the class comment). */
    public static long entryBytes(String id, String name) {
        return utf8Length(id) + utf8Length(name) + ENTRY_OVERHEAD_BYTES;
    }

    /**
     * {@code s.getBytes(UTF_8).length} without making the copy (an unpaired surrogate, which UTF-8
     * replaces by one '?', counts 2 here: never less than the encoding).
     */
    static long utf8Length(String s) {
        long bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            // A surrogate pair is 4 bytes of UTF-8: 2 for each of its halves.
            bytes += c < 0x80 ? 1 : c < 0x800 || Character.isSurrogate(c) ? 2 : 3;
        }
        return bytes;
    }
}
