package raftkv.core;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The follower's side of forwarding: client requests that reach a follower, carried to the leader on
 * the peer stream as Raft messages (as etcd-io/raft does with MsgProp and follower ReadIndex):
 *
 * <ul>
 *   <li>a write is sent as a {@link Message.ForwardedProposal}; the leader appends it exactly as a
 *       local proposal and answers where ({@link ForwardOutcome.Appended}) or why not
 *       ({@link ForwardOutcome.Refused}) ({@link IncomingForwards}, the leader's side). The
 *       follower's driver then waits for that (index, term) like for a proposal of its own: it took
 *       effect iff the entry committed there carries that term;
 *   <li>a linearizable read asks for a read index (dissertation §6.4: "Followers can also serve
 *       reads ... the follower would issue a request to the leader to learn the current read
 *       index"); the leader confirms its leadership as for its own reads and replies with its commit
 *       index, and the follower serves the read once it has applied that far (step 4).
 * </ul>
 *
 * A forward that gets no answer must not wait forever: when this node's term or leader changes, or
 * after an election timeout, a waiting write is given up as unanswered (it may have been appended:
 * an unknown outcome) and a waiting read is dropped (a read changes nothing).
 *
 * <p>The ids come from the caller (the driver), which never reuses one within a boot of the process.
 * Every request and reply also carries this boot's {@code incarnation}, a random number the driver's
 * owner draws at start: a reply to an earlier boot's forward must not answer one of this boot, and
 * the leader takes in each boot's forwards separately ({@link ForwardsTakenIn#firstDelivery}).
 */
final class OutgoingForwards {

    /** A forward waiting for its answer: sent to {@code leader} in {@code term}, at tick {@code sentAt}. */
    private record Waiting(long term, String leader, long sentAt) {}

    private final NodeState state;
    private final long incarnation;
    private final Map<Long, Waiting> proposals = new LinkedHashMap<>();
    private final Map<Long, Waiting> reads = new LinkedHashMap<>();
    private long ticks;

    OutgoingForwards(NodeState state, long incarnation) {
        this.state = state;
        this.incarnation = incarnation;
    }

    /** Sends a client's command to the leader this follower knows of. */
    ProposalResult forwardProposal(Command command, Session session, long proposalId) {
        proposals.put(proposalId, waitingForLeader());
        state.outbox.send(new Message.ForwardedProposal(state.currentTerm, state.config.id(), state.leaderId,
                incarnation, proposalId, command, session));
        return new ProposalResult.Forwarded(proposalId, state.leaderId);
    }

    /** §6.4: "the follower would issue a request to the leader to learn the current read index". */
    ReadResult forwardRead(long requestId) {
        reads.put(requestId, waitingForLeader());
        state.outbox.send(new Message.ReadIndexRequest(state.currentTerm, state.config.id(), state.leaderId,
                incarnation, requestId));
        return new ReadResult.Registered();
    }

    private Waiting waitingForLeader() {
        return new Waiting(state.currentTerm, state.leaderId, ticks);
    }

    /**
     * Where the leader appended our forward, or that it never will. Either is a fact whatever our
     * term is now (a node answers only what it knows, see {@link IncomingForwards#declineProposal}), so it settles the
     * forward as long as we still wait for it.
     */
    void handleProposalReply(Message.ForwardedProposalReply m) {
        Waiting waiting = proposals.get(m.proposalId());
        if (m.incarnation() != incarnation || waiting == null || !waiting.leader().equals(m.from())) {
            return; // an earlier boot's, given up on already (the client heard "unknown"), or not ours
        }
        proposals.remove(m.proposalId());
        state.outbox.forwardAnswers().add(new ForwardAnswer(m.proposalId(), m.outcome()));
    }

    /**
     * The leader confirmed, after our request reached it, that it still led, and its commit index
     * then is the read index (§6.4 steps 1-3); the driver serves the read once applied that far (step 4).
     */
    void handleReadIndexReply(Message.ReadIndexReply m) {
        Waiting waiting = reads.get(m.requestId());
        if (m.incarnation() != incarnation || waiting == null || !waiting.leader().equals(m.from())
                || waiting.term() != m.term()) {
            return; // an earlier boot's, dropped already, or not ours
        }
        reads.remove(m.requestId());
        state.outbox.readStates().add(new ReadState(m.requestId(), m.readIndex()));
    }

    /** One tick: a forward unanswered for an election timeout is given up (the message may be lost). */
    void tick() {
        ticks++;
        long expired = ticks - state.config.electionTimeoutMaxTicks();
        giveUp(w -> w.sentAt() <= expired);
    }

    /**
     * Called before every Ready: forwards sent to a leader this node no longer follows (its term or
     * its leader changed) will get no answer we can trust to come; give them up now.
     */
    void giveUpOnFormerLeaders() {
        if (proposals.isEmpty() && reads.isEmpty()) {
            return;
        }
        giveUp(w -> w.term() != state.currentTerm || !w.leader().equals(state.leaderId)
                || state.role != Role.FOLLOWER);
    }

    private void giveUp(Predicate<Waiting> stale) {
        // A write may have been appended (and may still commit): its outcome is unknown.
        moveStale(proposals, stale, state.outbox.forwardsUnanswered());
        // A read changed nothing: dropped, it fails definitely and may simply be retried.
        moveStale(reads, stale, state.outbox.droppedReads());
    }

    private static void moveStale(Map<Long, Waiting> waiting, Predicate<Waiting> stale,
            List<Long> out) {
        Iterator<Map.Entry<Long, Waiting>> it = waiting.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Waiting> e = it.next();
            if (stale.test(e.getValue())) {
                out.add(e.getKey());
                it.remove();
            }
        }
    }
}
