package raftkv.core;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Predicate;

/**
 * Client requests that reach a follower, carried to the leader on the peer stream as Raft messages
 * (as etcd-io/raft does with MsgProp and follower ReadIndex):
 *
 * <ul>
 *   <li>a write is sent as a {@link Message.ForwardedProposal}; the leader appends it exactly as a
 *       local proposal and answers where ({@link ForwardOutcome.Appended}) or why not
 *       ({@link ForwardOutcome.Refused}). The follower's driver then waits for that (index, term)
 *       like for a proposal of its own: it took effect iff the entry committed there carries that term;
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
 * the leader takes in each boot's forwards separately ({@link Leader#firstDelivery}).
 */
final class Forwarding {

    /** A forward waiting for its answer: sent to {@code leader} in {@code term}, at tick {@code sentAt}. */
    private record Waiting(long term, String leader, long sentAt) {}

    private final NodeState state;
    private final BiFunction<Command, Session, ProposalResult> proposeAsLeader;
    private final long incarnation;
    private final Map<Long, Waiting> proposals = new LinkedHashMap<>();
    private final Map<Long, Waiting> reads = new LinkedHashMap<>();
    private long ticks;

    Forwarding(NodeState state, BiFunction<Command, Session, ProposalResult> proposeAsLeader, long incarnation) {
        this.state = state;
        this.proposeAsLeader = proposeAsLeader;
        this.incarnation = incarnation;
    }

    // ---------------------------------------------------------------- the follower's side

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
     * term is now (a node answers only what it knows, see {@link #declineProposal}), so it settles the
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

    // ---------------------------------------------------------------- the leader's side

    /**
     * A forward that reached a node which does not lead its term: a follower, a candidate, or a leader
     * of a later term ({@link RulesForServers}).
     *
     * <p>Only certain answers are definite. {@code Refused} tells the follower "never appended, never
     * will be": its client may then retry the command elsewhere, so it must be a fact. A node that may
     * have appended this forward (or a copy of it) says nothing instead, and the follower's forward
     * ends unknown when its leader changes or after an election timeout.
     */
    void declineProposal(Message.ForwardedProposal m) {
        // Only the leader of the forward's term can have appended it: a leader takes in forwards of
        // its own term only (takeProposal), and a term has at most one leader (Election Safety, §5.2).
        if (!mayHaveLed(m.term())) {
            reply(m, new ForwardOutcome.Refused(state.leaderId)); // never appended, and never will be
        } else if (state.config.has(Bug.RETRY_REFUSED_FORWARD)) {
            reply(m, new ForwardOutcome.Refused(state.leaderId)); // BUG retry-refused-forward
        }
        // Otherwise we may have appended it while we led that term: no answer we could stand by.
    }

    /**
     * Could this node have led {@code term}? Of its current term it knows: a leader voted for itself
     * (§5.2), and votedFor is persistent, so this holds across a restart and after stepping down
     * (CheckQuorum, §6.2). Of an earlier term it keeps no record ("Reply false if term < currentTerm
     * (§5.1)" is not enough here: we may have led that term and appended the forward then).
     */
    private boolean mayHaveLed(long term) {
        return term < state.currentTerm || state.config.id().equals(state.votedFor);
    }

    /**
     * The leader of the forward's term ({@link RulesForServers#stepLeader}) appends a follower's
     * forwarded command under the same rules as a client's own (§5.3; refused while transferring
     * leadership, §3.10), and tells the follower where; a copy of one it took in already gets no answer.
     */
    void takeProposal(Message.ForwardedProposal m) {
        if (!state.leader.firstDelivery(m.from(), m.incarnation(), m.proposalId())) {
            if (state.config.has(Bug.RETRY_REFUSED_FORWARD)) {
                reply(m, new ForwardOutcome.Refused(state.leaderId)); // BUG retry-refused-forward
            }
            return; // a duplicate: appended (or refused) once already, and answered then
        }
        ForwardOutcome outcome = switch (proposeAsLeader.apply(m.command(), m.session())) {
            case ProposalResult.Appended appended -> {
                state.leader.appendedForwarded(m.from(), appended.index());
                yield new ForwardOutcome.Appended(appended.index(), appended.term());
            }
            // §3.10: "The prior leader stops accepting new client requests." Definite: the forward's id
            // is recorded above, so no copy of it is appended after the transfer ends either.
            case ProposalResult.TransferringLeadership transfer -> new ForwardOutcome.Refused(transfer.transferee());
            case ProposalResult.NotLeader notLeader -> throw new AssertionError("checked: we lead this term");
            case ProposalResult.Forwarded forwarded -> throw new AssertionError("a leader never forwards");
        };
        reply(m, outcome);
    }

    private void reply(Message.ForwardedProposal m, ForwardOutcome outcome) {
        state.outbox.send(new Message.ForwardedProposalReply(state.currentTerm, state.config.id(), m.from(),
                m.incarnation(), m.proposalId(), outcome));
    }

    /**
     * §6.4: a follower asks the leader ({@link RulesForServers#stepLeader}) for a read index. Only the
     * leader of the follower's term can answer it; anyone else stays silent and the follower gives up
     * when it sees the leader change or after an election timeout.
     */
    void handleReadIndexRequest(Message.ReadIndexRequest m) {
        if (m.term() != state.currentTerm) {
            return;
        }
        state.leader.registerForwardedRead(m.from(), m.incarnation(), m.requestId());
    }
}
