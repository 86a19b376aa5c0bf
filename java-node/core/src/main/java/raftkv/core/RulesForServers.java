package raftkv.core;

/**
 * Figure 2's "Rules for Servers", role by role: what a node does with a tick and with each message,
 * in the order the rules apply. First what all servers do (PreVote, leader stickiness, the §5.1 term
 * rule), then one step per role — {@link #stepFollower}, {@link #stepCandidate}, {@link #stepLeader},
 * as etcd-io/raft's stepFollower, stepCandidate and stepLeader — each listing every message: those
 * the role handles, with the Figure 2 line that says so, and those it ignores, with the reason.
 *
 * <p>The rules themselves are in the classes the steps call: {@link Elections},
 * {@link LogReplication}, {@link LogCompaction}, {@link LeadershipTransfer}, {@link OutgoingForwards} and
 * {@link IncomingForwards}. Since only these steps call them, a handler checks no role of its own:
 * the role it runs in is the one its step names.
 */
final class RulesForServers {

    private final NodeState state;
    private final RaftConfig config;
    private final Elections elections;
    private final LogReplication replication;
    private final LogCompaction compaction;
    private final LeadershipTransfer transfer;
    private final OutgoingForwards outgoing;
    private final IncomingForwards incoming;

    RulesForServers(NodeState state, Elections elections, LogReplication replication, LogCompaction compaction,
            LeadershipTransfer transfer, OutgoingForwards outgoing, IncomingForwards incoming) {
        this.state = state;
        this.config = state.config;
        this.elections = elections;
        this.replication = replication;
        this.compaction = compaction;
        this.transfer = transfer;
        this.outgoing = outgoing;
        this.incoming = incoming;
    }

    // ---------------------------------------------------------------- ticks

    /** One unit of logical time has passed. */
    void tick() {
        outgoing.tick();
        state.electionElapsed++;
        switch (state.role) {
            case LEADER -> tickLeader();
            // Followers (§5.2): "If election timeout elapses without receiving AppendEntries RPC from
            // current leader or granting vote to candidate: convert to candidate" — via PreVote (§9.6).
            // Candidates (§5.2): "If election timeout elapses: start new election" — the same way.
            case FOLLOWER, PRE_CANDIDATE, CANDIDATE -> {
                if (state.electionTimeoutElapsed()) {
                    elections.electionTimeoutElapsed();
                }
            }
        }
    }

    private void tickLeader() {
        state.heartbeatElapsed++;
        state.leader.tickTransfer();
        if (replication.stepDownIfHandOverFailed()) {
            return; // §4.2.2
        }
        state.leader.tickSnapshotTransfers();
        if (state.heartbeatElapsed >= config.heartbeatTicks()) {
            state.heartbeatElapsed = 0;
            // Leaders: "send initial empty AppendEntries RPCs (heartbeat) to each server; repeat
            // during idle periods to prevent election timeouts (§5.2)"
            state.leader.broadcastHeartbeat(state.commitIndex);
        }
        if (state.electionElapsed >= state.checkQuorumTicks) {
            state.electionElapsed = 0;
            state.checkQuorumTicks = config.electionTimeoutMinTicks();
            // CheckQuorum (dissertation §6.2): a leader that has not heard from a majority within an
            // election timeout steps down, so a partitioned leader stops serving clients.
            if (!state.leader.tracker().heardFromQuorum()) {
                state.becomeFollower(state.currentTerm, null);
            }
        }
    }

    // ---------------------------------------------------------------- messages: all servers

    /** A message from a peer. */
    void step(Message m) {
        // §4.1: "servers process incoming RPC requests without consulting their current configurations"
        // (a new learner hears from a leader it does not know yet). Only misaddressed ones are dropped.
        if (!m.to().equals(config.id()) || m.from().equals(config.id())) {
            return;
        }
        // PreVote messages never change anyone's term (§9.6): the sender has not started an election.
        if (m instanceof Message.PreVote preVote) {
            elections.handlePreVote(preVote);
            return;
        }
        if (m instanceof Message.PreVoteReply reply) {
            elections.handlePreVoteReply(reply);
            return;
        }
        // Leader stickiness (dissertation §4.2.3): "if a server receives a RequestVote request within
        // the minimum election timeout of hearing from a current leader, it does not update its term
        // or grant its vote." Ignored, with no reply, as etcd-io/raft does. CheckQuorum (§6.2) keeps a
        // leader's own claim sound, so a leader ignores it too. A leadership transfer's campaign is
        // exempt: "a server ... should be allowed to disrupt the current leader" when that leader
        // asked for it (§4.2.3, §3.10).
        if (m instanceof Message.RequestVote rv && !rv.leadershipTransfer() && m.term() > state.currentTerm
                && elections.heardFromLiveLeader()) {
            return;
        }
        // All servers: "If RPC request or response contains term T > currentTerm: set currentTerm =
        // T, convert to follower (§5.1)"
        if (m.term() > state.currentTerm) {
            boolean fromLeader = m instanceof Message.AppendEntries || m instanceof Message.InstallSnapshot;
            state.becomeFollower(m.term(), fromLeader ? m.from() : null);
        }
        switch (state.role) {
            case FOLLOWER -> stepFollower(m);
            case PRE_CANDIDATE, CANDIDATE -> stepCandidate(m);
            case LEADER -> stepLeader(m);
        }
    }

    // ---------------------------------------------------------------- messages: one step per role

    /**
     * Followers (§5.2): "Respond to RPCs from candidates and leaders." Requests of an older term are
     * refused by each receiver's rule 1 (§5.1); the rest is the receivers' rules.
     */
    private void stepFollower(Message m) {
        switch (m) {
            case Message.RequestVote rv -> elections.handleRequestVote(rv);
            case Message.AppendEntries ae -> replication.handleAppendEntries(ae);
            case Message.InstallSnapshot is -> compaction.handleInstallSnapshot(is);
            // §3.10: its leader hands leadership over to it: campaign at once.
            case Message.TimeoutNow timeoutNow -> transfer.handleTimeoutNow(timeoutNow);
            // A forward to a node that does not lead: refused only if this node never led its term.
            case Message.ForwardedProposal fp -> incoming.declineProposal(fp);
            // The leader's answers to what this node forwarded (§6.4 for reads).
            case Message.ForwardedProposalReply reply -> outgoing.handleProposalReply(reply);
            case Message.ReadIndexReply reply -> outgoing.handleReadIndexReply(reply);
            // Answers to a candidate's or a leader's requests, late: this node is neither now.
            case Message.RequestVoteReply ignored -> {}
            case Message.AppendEntriesReply ignored -> {}
            case Message.InstallSnapshotReply ignored -> {}
            // §6.4: only the leader of the follower's term can answer; the asker gives up on its own.
            case Message.ReadIndexRequest ignored -> {}
            case Message.PreVote ignored -> throw new AssertionError("handled in step");
            case Message.PreVoteReply ignored -> throw new AssertionError("handled in step");
        }
    }

    /**
     * Candidates (§5.2), and pre-candidates (§9.6), which count only PreVote replies (in
     * {@link #step}). A candidate still answers RequestVote: it refuses, having voted for itself.
     */
    private void stepCandidate(Message m) {
        switch (m) {
            // Candidates: "If votes received from majority of servers: become leader" (§5.2)
            case Message.RequestVoteReply reply when state.role == Role.CANDIDATE ->
                    elections.handleRequestVoteReply(reply);
            case Message.RequestVoteReply ignored -> {} // a pre-candidate's: a reply to the campaign it gave up
            // Candidates: "If AppendEntries RPC received from new leader: convert to follower" (§5.2);
            // an InstallSnapshot comes from the leader of our term too.
            case Message.AppendEntries ae -> replication.handleAppendEntries(ae);
            case Message.InstallSnapshot is -> compaction.handleInstallSnapshot(is);
            case Message.RequestVote rv -> elections.handleRequestVote(rv);
            case Message.ForwardedProposal fp -> incoming.declineProposal(fp);
            // Answers to what this node forwarded while it followed: facts whatever its role, they
            // settle a forward not given up yet (the next Ready gives every one up).
            case Message.ForwardedProposalReply reply -> outgoing.handleProposalReply(reply);
            case Message.ReadIndexReply reply -> outgoing.handleReadIndexReply(reply);
            // A leader's business; TimeoutNow only a follower of its sender's term heeds (§3.10).
            case Message.AppendEntriesReply ignored -> {}
            case Message.InstallSnapshotReply ignored -> {}
            case Message.ReadIndexRequest ignored -> {}
            case Message.TimeoutNow ignored -> {}
            case Message.PreVote ignored -> throw new AssertionError("handled in step");
            case Message.PreVoteReply ignored -> throw new AssertionError("handled in step");
        }
    }

    /**
     * Leaders (§5.3, §5.4): replicate, count, commit; take in what followers forward. A message from
     * outside the leader's latest configuration is dropped: it tracks no progress for its sender.
     */
    private void stepLeader(Message m) {
        if (!state.leader.isFollower(m.from())) {
            return;
        }
        switch (m) {
            // Leaders: "If successful: update nextIndex and matchIndex for follower (§5.3)"; "If
            // AppendEntries fails because of log inconsistency: decrement nextIndex and retry (§5.3)";
            // then the commit rule (§5.3, §5.4) and the reads a round confirmed (§6.4).
            case Message.AppendEntriesReply reply -> replication.handleAppendEntriesReply(reply);
            case Message.InstallSnapshotReply reply -> compaction.handleInstallSnapshotReply(reply);
            // Leaders: "If command received from client: append entry to local log" (§5.3) — a
            // follower's client's, if the forward is of this term.
            case Message.ForwardedProposal fp when fp.term() == state.currentTerm -> incoming.takeProposal(fp);
            case Message.ForwardedProposal fp -> incoming.declineProposal(fp); // of an earlier term
            // §6.4: a follower asks for the read index.
            case Message.ReadIndexRequest request -> incoming.handleReadIndexRequest(request);
            // Requests of an older term: their receivers' rule 1 refuses them (§5.1). (A vote of this
            // term is refused too: we voted for ourselves; an AppendEntries of this term cannot come,
            // by Election Safety, §5.2.)
            case Message.RequestVote rv -> elections.handleRequestVote(rv);
            case Message.AppendEntries ae -> replication.handleAppendEntries(ae);
            case Message.InstallSnapshot is -> compaction.handleInstallSnapshot(is);
            // Answers to what this node forwarded while it followed (see stepCandidate).
            case Message.ForwardedProposalReply reply -> outgoing.handleProposalReply(reply);
            case Message.ReadIndexReply reply -> outgoing.handleReadIndexReply(reply);
            // Votes that came after we won; TimeoutNow only a follower heeds (§3.10).
            case Message.RequestVoteReply ignored -> {}
            case Message.TimeoutNow ignored -> {}
            case Message.PreVote ignored -> throw new AssertionError("handled in step");
            case Message.PreVoteReply ignored -> throw new AssertionError("handled in step");
        }
    }
}
