package raftkv.sim;

import java.util.SplittableRandom;
import raftkv.core.RaftConfig;

/**
 * What each node of a seed's run draws for itself, each kind from a generator of its own seeded from
 * the run's seed, so that adding one kind left the rest of a seed's run as it was.
 *
 * <p>Snapshots are always on, with a small threshold and tail and small chunks. The simulated state is
 * small (a few hundred bytes), so chunks of 8 to 64 bytes make most transfers take many chunks (up to
 * a few dozen): the same coverage of chunking, windows and retransmits as a big state with big
 * chunks, at a fraction of the cost. A transfer's window of chunks in flight is 1 to 4. Each node's
 * inflight window is 1 to 8 messages, small enough beside the mixes' bursts that a leader often finds
 * a follower paused and must rely on its acks and heartbeats.
 */
final class NodeDraws {

    private final SplittableRandom snapshotSettings;
    private final SplittableRandom transferSettings;
    private final SplittableRandom windowSettings;
    private final SplittableRandom writeDelays;
    private final SplittableRandom restoreDelays;
    private final SplittableRandom incarnations;

    NodeDraws(long seed) {
        this.snapshotSettings = new SplittableRandom(seed ^ 0x5AA9_5A0BL);
        this.transferSettings = new SplittableRandom(seed ^ 0x7C4A_11E5L);
        this.windowSettings = new SplittableRandom(seed ^ 0x1F11_6475L);
        this.writeDelays = new SplittableRandom(seed ^ 0x3B1D_F0A7L);
        this.restoreDelays = new SplittableRandom(seed ^ 0x6E57_0BEDL);
        this.incarnations = new SplittableRandom(seed ^ 0x2B07_1D3CL);
    }

    /** {@code base} with this node's snapshot threshold, tail and chunk size, inflight window and chunk window. */
    RaftConfig config(RaftConfig base) {
        return base.withSnapshots(snapshotSettings.nextInt(15, 80), snapshotSettings.nextInt(0, 12))
                .withSnapshotChunkBytes(snapshotSettings.nextInt(8, 65))
                .withMaxInflightMessages(windowSettings.nextInt(1, 9))
                .withSnapshotChunksInFlight(transferSettings.nextInt(1, 5));
    }

    /** How long each snapshot write takes on this node ({@link SimNode#MAX_SNAPSHOT_WRITE_MS} at most). */
    SplittableRandom writeDelays() {
        return writeDelays.split();
    }

    /** How long decoding each snapshot received from a leader takes ({@link SimNode#MAX_SNAPSHOT_RESTORE_MS} at most). */
    SplittableRandom restoreDelays() {
        return restoreDelays.split();
    }

    /** Each boot's incarnation, the random number its forwards carry (as the server draws one). */
    SplittableRandom incarnations() {
        return incarnations.split();
    }
}
