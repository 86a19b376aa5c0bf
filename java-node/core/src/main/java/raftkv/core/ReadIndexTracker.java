package raftkv.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The leader's side of ReadIndex (dissertation §6.4):
 *
 * <ol>
 *   <li>the leader must have committed an entry of its own term (its §8 no-op), so its commit
 *       index is at least that of every earlier leader;
 *   <li>it records its commit index as the read index;
 *   <li>it confirms it is still the leader: after the read arrived, a heartbeat round must be
 *       acknowledged by a majority;
 *   <li>once applied up to the read index, the state machine answers the read (the driver does this).
 * </ol>
 *
 * Confirmation uses round numbers: every AppendEntries carries a number that grows with each one
 * sent, and its reply echoes it. A read registered when the next round to be sent was {@code p} is
 * confirmed once a majority (the leader included) has answered a round {@code >= p}.
 */
final class ReadIndexTracker {

    private record PendingRead(long requestId, long firstRound) {}

    private final List<PendingRead> pending = new ArrayList<>();

    void register(long requestId, long nextRound) {
        pending.add(new PendingRead(requestId, nextRound));
    }

    /**
     * Moves every read whose leadership check passed into {@code out}, with the current commit index
     * as its read index. Does nothing until the leader has committed an entry of its term (step 1).
     */
    void releaseConfirmed(
            Map<String, Progress> followers,
            int quorum,
            boolean committedInCurrentTerm,
            long commitIndex,
            List<ReadState> out) {
        if (!committedInCurrentTerm) {
            return;
        }
        Iterator<PendingRead> it = pending.iterator();
        while (it.hasNext()) {
            PendingRead read = it.next();
            int acks = 1; // the leader itself
            for (Progress progress : followers.values()) {
                if (progress.ackedRound >= read.firstRound()) {
                    acks++;
                }
            }
            if (acks >= quorum) {
                out.add(new ReadState(read.requestId(), commitIndex));
                it.remove();
            }
        }
    }

    /** Leadership was lost: every pending read fails (it had no effect, so the client may retry). */
    void dropAll(List<Long> out) {
        for (PendingRead read : pending) {
            out.add(read.requestId());
        }
        pending.clear();
    }
}
