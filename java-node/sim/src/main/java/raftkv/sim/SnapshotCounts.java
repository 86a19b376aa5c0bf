package raftkv.sim;

/**
 * Snapshots taken and saved, installed from a leader, power cuts in the middle of saving either,
 * InstallSnapshot chunks sent, snapshots from a leader restored after a delay (off the loop, in
 * the server) and the Raft messages their nodes handled while restoring.
 */
record SnapshotCounts(long saved, long installed, long cutMidSnapshot, long chunksSent, long restored,
        long stepsWhileRestoring) {
    static final SnapshotCounts NONE = new SnapshotCounts(0, 0, 0, 0, 0, 0);

    SnapshotCounts plus(SnapshotCounts o) {
        return new SnapshotCounts(saved + o.saved, installed + o.installed, cutMidSnapshot + o.cutMidSnapshot,
                chunksSent + o.chunksSent, restored + o.restored, stepsWhileRestoring + o.stepsWhileRestoring);
    }
}
