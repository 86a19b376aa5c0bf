package raftkv.core;

/**
 * The leader's side of one snapshot transfer to one follower: etcd-io/raft's {@code PendingSnapshot},
 * with the chunks flow-controlled like AppendEntries (a window of {@link RaftConfig#snapshotChunksInFlight}).
 *
 * <p>The snapshot is pinned when the transfer starts and sent to the end even if the leader takes a
 * newer one meanwhile: restarting at offset 0 with every new snapshot could keep a follower from ever
 * finishing under steady writes. The follower then catches up from the pinned snapshot's index, by
 * AppendEntries or, if those entries were compacted too, by a second transfer. Holding the
 * {@link Snapshot} here keeps its data readable (in the server, its file open, even once a newer
 * snapshot replaced it on disk); {@link Progress} drops it when the transfer ends, and with the
 * {@link Leader} when the leadership ends. Each chunk is read from the data as it is sent.
 *
 * <p>Chunks go out as the follower's replies make room in the window, never with heartbeats. A lost
 * chunk (or a lost reply) is found by silence: with no progress for a retransmit timeout the transfer
 * rewinds to the offset the follower last reported and sends from there.
 *
 * <p>A follower that stays silent through a rewind is probably down, and every rewind costs the
 * leader a window of chunk reads: so each silent rewind doubles the wait before the next, up to
 * {@link #MAX_BACKOFF} retransmit timeouts (a bounded exponential backoff, in ticks). Any word from
 * the follower (a reply to a chunk or to a heartbeat, {@link #heardFrom()}) brings the wait back to
 * one retransmit timeout, so a follower that restarts is served as soon as it answers.
 */
final class SnapshotTransfer {

    /** One InstallSnapshot's share of the snapshot. */
    record Chunk(long offset, byte[] data, boolean done) {}

    private final Snapshot snapshot;
    private final int chunkBytes;
    private final long windowBytes;
    private long acked; // the follower holds the bytes before this offset
    private long next; // the offset of the next chunk to send
    private boolean lastChunkSent; // the chunk with done=true is on its way (since the last rewind)
    private long lastReported; // the offset in the follower's latest reply: where a rewind starts
    private int silentTicks; // ticks since the follower last acknowledged new bytes, or since a rewind
    private int backoff = 1; // the retransmit timeouts to wait before the next rewind: 1, 2, 4 .. MAX_BACKOFF

    /** The longest wait between two rewinds, in retransmit timeouts, while the follower says nothing. */
    static final int MAX_BACKOFF = 8;

    SnapshotTransfer(Snapshot snapshot, int chunkBytes, int chunksInFlight) {
        this.snapshot = snapshot;
        this.chunkBytes = chunkBytes;
        this.windowBytes = (long) chunkBytes * chunksInFlight;
    }

    /** The pinned snapshot. */
    Snapshot snapshot() {
        return snapshot;
    }

    long index() {
        return snapshot.lastIncludedIndex();
    }

    /** Another chunk may go: some are left to send, and fewer than the window's worth are unacknowledged. */
    boolean windowHasRoom() {
        return !lastChunkSent && next - acked < windowBytes;
    }

    /** The next chunk to send; call only when {@link #windowHasRoom()}. */
    Chunk nextChunk() {
        if (!windowHasRoom()) {
            throw new IllegalStateException("no room for another chunk: " + this);
        }
        byte[] data = snapshot.data().read(next, chunkBytes);
        Chunk chunk = new Chunk(next, data, next + data.length >= snapshot.size());
        next += data.length;
        lastChunkSent = chunk.done();
        return chunk;
    }

    /**
     * The follower holds the bytes before {@code nextOffset}. A reply that says less than an earlier
     * one was overtaken on the way, or comes from a follower that lost its partial snapshot (it
     * restarted): only a rewind acts on it, after a silence.
     */
    void acknowledged(long nextOffset) {
        heardFrom();
        lastReported = nextOffset;
        if (nextOffset > acked) {
            acked = nextOffset;
            silentTicks = 0;
            if (next < acked) {
                next = acked; // it got further than we thought: a rewind resent what it had
            }
        }
    }

    /** The follower answered something: it is up, so the next rewind waits one retransmit timeout again. */
    void heardFrom() {
        backoff = 1;
    }

    /**
     * One tick. After {@code retransmitTicks} ticks without progress a chunk or its reply was lost
     * (or the follower restarted): rewind to the follower's last word and return true, so the leader
     * sends the window again from there. Without a word from the follower since the last rewind, the
     * wait is {@code retransmitTicks} times the backoff, which doubles at each rewind (class comment).
     */
    boolean tickRewinds(int retransmitTicks) {
        if (++silentTicks < (long) retransmitTicks * backoff) {
            return false;
        }
        silentTicks = 0;
        backoff = Math.min(backoff * 2, MAX_BACKOFF);
        acked = lastReported;
        next = lastReported;
        lastChunkSent = false;
        return true;
    }

    @Override
    public String toString() {
        return "SnapshotTransfer[" + snapshot + ", acked " + acked + ", next " + next + ", backoff " + backoff + "]";
    }
}
