package raftkv.core;

import java.util.function.BiFunction;

/**
 * The leader's side of forwarding: what a node does with the requests a follower's {@link OutgoingForwards}
 * sent it. The leader of the forward's term appends a proposal as its own and says where, and
 * confirms a read index as for its own reads (§6.4); any other node answers a proposal only when the
 * answer is certain ({@link #declineProposal}), and a read index request not at all.
 */
final class IncomingForwards {

    private final NodeState state;
    private final BiFunction<Command, Session, ProposalResult> proposeAsLeader;

    IncomingForwards(NodeState state, BiFunction<Command, Session, ProposalResult> proposeAsLeader) {
        this.state = state;
        this.proposeAsLeader = proposeAsLeader;
    }

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
        if (!state.leader.forwards().firstDelivery(m.from(), m.incarnation(), m.proposalId())) {
            if (state.config.has(Bug.RETRY_REFUSED_FORWARD)) {
                reply(m, new ForwardOutcome.Refused(state.leaderId)); // BUG retry-refused-forward
            }
            return; // a duplicate: appended (or refused) once already, and answered then
        }
        ForwardOutcome outcome = switch (proposeAsLeader.apply(m.command(), m.session())) {
            case ProposalResult.Appended appended -> {
                state.leader.forwards().appended(m.from(), appended.index());
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
