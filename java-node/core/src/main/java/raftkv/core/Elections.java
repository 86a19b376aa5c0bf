package raftkv.core;

import java.util.TreeSet;

/**
 * Leader election (§5.2): PreVote (dissertation §9.6) before a campaign, the RequestVote receiver
 * rules of Figure 2, counting votes, and becoming candidate or leader. Stepping down is
 * {@link NodeState#becomeFollower}, since every kind of message can cause it (§5.1).
 */
final class Elections {

    /** Why a node campaigns: its own election timeout, or its leader's TimeoutNow (§3.10). */
    enum Campaign {
        ELECTION_TIMEOUT,
        LEADERSHIP_TRANSFER
    }

    private final NodeState state;
    private final LogReplication replication;
    private final RaftConfig config;
    private final RaftLog log;
    private final Outbox outbox;
    private final TreeSet<String> votesGranted = new TreeSet<>();

    Elections(NodeState state, LogReplication replication) {
        this.state = state;
        this.replication = replication;
        this.config = state.config;
        this.log = state.log;
        this.outbox = state.outbox;
    }

    /**
     * The election timer fired: a voter starts a PreVote (§9.6). A learner (§4.2.1), or a node its
     * latest configuration removed (§4.2.2), never starts an election nor a PreVote: it waits for a
     * leader to reach it.
     */
    void electionTimeoutElapsed() {
        if (state.isVoter()) {
            startPreVote();
        } else {
            // A whole election timeout without a word from the leader: it knows no leader now, as a
            // voter that starts a PreVote forgets its own. Kept, the old leader would look alive for
            // one more timeout after every firing, and the node would refuse every PreVote (§9.6)
            // while it may be a voter in the candidate's newer configuration (as etcd's learner, whose
            // lease simply runs out).
            state.leaderId = null;
            state.resetElectionTimer();
        }
    }

    private void startPreVote() {
        state.role = Role.PRE_CANDIDATE;
        state.leaderId = null;
        votesGranted.clear();
        votesGranted.add(config.id());
        state.resetElectionTimer();
        if (state.configuration().hasQuorum(votesGranted)) {
            becomeCandidate(Campaign.ELECTION_TIMEOUT);
            return;
        }
        for (String peer : state.otherVoters()) {
            outbox.send(new Message.PreVote(state.currentTerm + 1, config.id(), peer, log.lastIndex(), log.lastTerm()));
        }
    }

    void handlePreVote(Message.PreVote m) {
        // Grant only if we would grant a real vote in that term: the term is new to us, the log is at
        // least as up-to-date as ours (§5.4.1), and we have not heard from a live leader within the
        // minimum election timeout (§9.6: "... it has not received a heartbeat from a leader").
        boolean grant = m.term() > state.currentTerm && log.isUpToDate(m.lastLogIndex(), m.lastLogTerm())
                && !heardFromLiveLeader() && knowsAConfiguration(); // see handleRequestVote
        outbox.send(new Message.PreVoteReply(grant ? m.term() : state.currentTerm, config.id(), m.from(), grant));
    }

    /**
     * True if this node is the leader, or heard from the current leader within the minimum election
     * timeout: then it neither pre-votes (§9.6) nor lets a RequestVote disrupt it (§4.2.3).
     */
    boolean heardFromLiveLeader() {
        return state.role == Role.LEADER
                || (state.leaderId != null && state.electionElapsed < config.electionTimeoutMinTicks());
    }

    private boolean knowsAConfiguration() {
        return !state.configuration().voters().isEmpty();
    }

    void handlePreVoteReply(Message.PreVoteReply m) {
        if (!m.voteGranted()) {
            if (m.term() > state.currentTerm) {
                state.becomeFollower(m.term(), null); // §5.1: a higher term means our campaign is pointless
            }
            return;
        }
        if (state.role != Role.PRE_CANDIDATE || m.term() != state.currentTerm + 1) {
            return; // a reply to an older campaign
        }
        votesGranted.add(m.from());
        if (state.configuration().hasQuorum(votesGranted)) { // a majority of the latest configuration's voters (§4.1)
            becomeCandidate(Campaign.ELECTION_TIMEOUT);
        }
    }

    void becomeCandidate(Campaign campaign) {
        // Candidates (§5.2): "On conversion to candidate, start election: increment currentTerm, vote
        // for self, reset election timer, send RequestVote RPCs to all other servers"
        state.role = Role.CANDIDATE;
        state.currentTerm++;
        state.votedFor = config.id();
        outbox.hardStateChanged();
        state.leaderId = null;
        votesGranted.clear();
        votesGranted.add(config.id());
        state.resetElectionTimer();
        if (state.configuration().hasQuorum(votesGranted)) {
            becomeLeader();
            return;
        }
        for (String peer : state.otherVoters()) {
            outbox.send(new Message.RequestVote(state.currentTerm, config.id(), peer, log.lastIndex(), log.lastTerm(),
                    campaign == Campaign.LEADERSHIP_TRANSFER));
        }
    }

    void handleRequestVote(Message.RequestVote m) {
        // RequestVote receiver: "1. Reply false if term < currentTerm (§5.1)"
        if (m.term() < state.currentTerm) {
            outbox.send(new Message.RequestVoteReply(state.currentTerm, config.id(), m.from(), false));
            return;
        }
        // "2. If votedFor is null or candidateId, and candidate's log is at least as up-to-date as
        // receiver's log, grant vote (§5.2, §5.4)"
        // §4.1: "servers process incoming RPC requests without consulting their current configurations".
        // A node that is a learner in its own latest configuration answers too: it may be a voter of the
        // candidate's newer one, whose promotion entry it has not received (etcd-io/etcd#10998: refusing
        // left a cluster without a leader, a majority of its voters up; simulator seed 155 of the
        // membership mix). A learner's vote never counts where it is a learner: candidates count the
        // voters of their own latest configuration only (handleRequestVoteReply), §4.2.1.
        // A node that knows no configuration at all (joining, or empty after losing its data) votes for no
        // one: it has no log to judge up-to-dateness by, and only a stale configuration could count it.
        boolean mayVote = (state.votedFor == null || state.votedFor.equals(m.from())) && knowsAConfiguration();
        boolean grant = mayVote && log.isUpToDate(m.lastLogIndex(), m.lastLogTerm());
        if (grant) {
            state.votedFor = m.from();
            outbox.hardStateChanged(); // persisted before the reply leaves (Ready order)
            state.electionElapsed = 0; // "... or granting vote to candidate" resets the election timer
        }
        outbox.send(new Message.RequestVoteReply(state.currentTerm, config.id(), m.from(), grant));
    }

    /** A reply to a candidate's RequestVote ({@link RulesForServers#stepCandidate}). */
    void handleRequestVoteReply(Message.RequestVoteReply m) {
        if (m.term() != state.currentTerm || !m.voteGranted()) {
            return; // a reply to an older campaign, or a refusal
        }
        votesGranted.add(m.from());
        // Candidates: "If votes received from majority of servers: become leader" (§5.2) — of the voters
        // of its latest configuration (§4.1); a vote from anyone else does not count.
        if (state.configuration().hasQuorum(votesGranted)) {
            becomeLeader();
        }
    }

    private void becomeLeader() {
        state.role = Role.LEADER;
        state.leaderId = config.id();
        state.electionElapsed = 0;
        state.heartbeatElapsed = 0;
        // A new leader's first messages may be slow (connections still being set up): it gets the
        // longest election timeout before its first CheckQuorum, the minimum after that. No follower
        // that hears from it can be persuaded to elect another leader in the meantime (§4.2.3).
        state.checkQuorumTicks = config.electionTimeoutMaxTicks();
        state.leader = new Leader(config, state.currentTerm, log, outbox, () -> state.snapshot);
        // §8: "each leader commit a blank no-op entry into the log at the start of its term", so it
        // learns which entries are committed and can serve ReadIndex reads.
        replication.appendAsLeader(new Command.Noop(), null);
    }
}
