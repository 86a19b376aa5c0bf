package raftkv.core;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

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
 * A read may also come from a follower (§6.4: "Followers can also serve reads"): the leader runs steps
 * 1-3 for it the same way and sends the follower the read index, which then does step 4 itself.
 *
 * Confirmation uses round numbers: every AppendEntries carries a number that grows with each one
 * sent, and its reply echoes it. A read registered when the next round to be sent was {@code p} is
 * confirmed once a majority (the leader included) has answered a round {@code >= p}.
 */
final class ReadIndexTracker {

    /** Where a confirmed read goes: to this leader's own driver, or back to the follower that asked. */
    interface Confirmations {
        void own(long requestId, long readIndex);

        void forwarded(String follower, long incarnation, long requestId, long readIndex);
    }

    /**
     * @param follower the follower that asked for the read index, or null for the leader's own read
     * @param incarnation the boot of the follower that asked (see {@link Message.ReadIndexRequest}); 0 for our own
     */
    private record PendingRead(String follower, long incarnation, long requestId, long firstRound) {}

    private final List<PendingRead> pending = new ArrayList<>();

    void register(long requestId, long nextRound) {
        pending.add(new PendingRead(null, 0, requestId, nextRound));
    }

    void registerForwarded(String follower, long incarnation, long requestId, long nextRound) {
        pending.add(new PendingRead(follower, incarnation, requestId, nextRound));
    }

    /**
     * Hands every read whose leadership check passed to {@code out}, with the current commit index
     * as its read index. Does nothing until the leader has committed an entry of its term (step 1).
     */
    void releaseConfirmed(
            java.util.function.LongPredicate confirmedSince,
            boolean committedInCurrentTerm,
            long commitIndex,
            Confirmations out) {
        if (!committedInCurrentTerm) {
            return;
        }
        Iterator<PendingRead> it = pending.iterator();
        while (it.hasNext()) {
            PendingRead read = it.next();
            // A majority of the voters of the latest configuration (§4.1), the leader included if it is one.
            if (confirmedSince.test(read.firstRound())) {
                if (read.follower() == null) {
                    out.own(read.requestId(), commitIndex);
                } else {
                    out.forwarded(read.follower(), read.incarnation(), read.requestId(), commitIndex);
                }
                it.remove();
            }
        }
    }

    /**
     * Leadership was lost: every pending read fails (it had no effect, so the client may retry). A
     * follower's read is simply forgotten: the follower drops it when it sees the leader change, or
     * when no answer came in time ({@link OutgoingForwards}).
     */
    void dropAll(List<Long> out) {
        for (PendingRead read : pending) {
            if (read.follower() == null) {
                out.add(read.requestId());
            }
        }
        pending.clear();
    }
}
