package raftkv.core;

/**
 * Leadership transfer (dissertation §3.10): the leader's request to hand over, and the target's
 * answer to TimeoutNow. Bringing the target's log up to date, sending TimeoutNow and giving up
 * after an election timeout are the leader's per-follower work, in {@link Leader}.
 */
final class LeadershipTransfer {

    private final NodeState state;
    private final Elections elections;

    LeadershipTransfer(NodeState state, Elections elections) {
        this.state = state;
        this.elections = elections;
    }

    TransferResult start(String target) {
        if (state.role != Role.LEADER) {
            return new TransferResult.NotLeader(state.leaderId);
        }
        // Only a voter can win an election: a learner ignores TimeoutNow (§4.2.1).
        if (target != null && !(state.leader.isFollower(target) && state.configuration().isVoter(target))) {
            return new TransferResult.UnknownMember(target);
        }
        if (state.leader.tracker().mostUpToDateVoter() == null) {
            return new TransferResult.NoOtherMember();
        }
        String to = target == null ? state.leader.tracker().mostUpToDateVoter() : target;
        state.leader.startTransfer(to, state.commitIndex);
        return new TransferResult.Started(to);
    }

    /**
     * §3.10: TimeoutNow "has the same effect as the target server's election timer firing: the target
     * server starts a new election (incrementing its term and becoming a candidate)" — at once, with
     * no PreVote: its leader asked for it. Only a follower heeds it ({@link RulesForServers#stepFollower}).
     */
    void handleTimeoutNow(Message.TimeoutNow m) {
        if (m.term() != state.currentTerm || !state.isVoter()) {
            return; // from an older term, or we are a learner (§4.2.1)
        }
        elections.becomeCandidate(Elections.Campaign.LEADERSHIP_TRANSFER);
    }
}
