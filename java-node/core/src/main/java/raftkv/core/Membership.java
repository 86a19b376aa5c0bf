package raftkv.core;

import raftkv.core.ConfigChangeResult.Reason;

/**
 * Membership changes on the leader (dissertation chapter 4), one server at a time (§4.1): a learner
 * added (§4.2.1), a caught-up learner promoted to voter, a member removed. The configuration itself is
 * a log entry ({@link Command.Configuration}) that each node uses as soon as it holds it
 * ({@link RaftLog#latestConfiguration()}); this class decides whether the leader may append one now.
 */
final class Membership {

    private final NodeState state;
    private final LogReplication replication;
    private final RaftConfig config;
    private final RaftLog log;

    Membership(NodeState state, LogReplication replication) {
        this.state = state;
        this.replication = replication;
        this.config = state.config;
        this.log = state.log;
    }

    ConfigChangeResult propose(ConfigChange change) {
        if (state.role != Role.LEADER) {
            return new ConfigChangeResult.NotLeader(state.leaderId);
        }
        if (state.leader.transferee() != null) {
            // §3.10: "1. The prior leader stops accepting new client requests."
            return reject(Reason.TRANSFERRING_LEADERSHIP, "handing leadership to " + state.leader.transferee());
        }
        // Errata to §4.1 (the single-server change bug, 2015): "a leader may not append a new
        // configuration entry until it has committed an entry from its current term" — its §8 no-op.
        // Without it, a change of an earlier leader that this leader's log lacks can still be
        // committed by a majority of a configuration that does not overlap this one's.
        if (log.termAt(state.commitIndex) != state.currentTerm && !config.has(Bug.CONCURRENT_CONFIG_CHANGES)) {
            return reject(Reason.NO_OP_NOT_COMMITTED, "the leader has not yet committed an entry of term "
                    + state.currentTerm);
        }
        // §4.1: "the leader must wait for the previous configuration change to commit before starting a
        // new one": any two majorities of configurations one server apart overlap, two apart need not.
        if (log.latestConfigurationIndex() > state.commitIndex && !config.has(Bug.CONCURRENT_CONFIG_CHANGES)) {
            return reject(Reason.CHANGE_IN_PROGRESS, "the configuration entry at " + log.latestConfigurationIndex()
                    + " is not committed yet (commit index " + state.commitIndex + ")");
        }
        ClusterConfig latest = log.latestConfiguration();
        switch (change) {
            case ConfigChange.AddLearner add when latest.contains(add.id()) -> {
                return reject(Reason.ALREADY_MEMBER, add.id() + " is a member already: " + latest);
            }
            case ConfigChange.AddLearner add when latest.ids().size() >= ClusterConfig.MAX_MEMBERS -> {
                // Bounded: a configuration is one log entry, stored and sent whole.
                return reject(Reason.TOO_MANY_MEMBERS, latest.ids().size() + " members, the most a configuration"
                        + " may hold (" + ClusterConfig.MAX_MEMBERS + ")");
            }
            case ConfigChange.Promote promote when latest.isVoter(promote.id()) -> {
                return reject(Reason.ALREADY_MEMBER, promote.id() + " is a voter already");
            }
            case ConfigChange.Promote promote when !latest.isLearner(promote.id()) -> {
                return reject(Reason.UNKNOWN_MEMBER, promote.id() + " is not a learner of " + latest);
            }
            case ConfigChange.Promote promote when !caughtUp(promote.id()) -> {
                return reject(Reason.NOT_CAUGHT_UP, promote.id() + " holds up to "
                        + state.leader.tracker().matchIndexes().get(promote.id()) + " of " + log.lastIndex() + " (it may lag "
                        + config.maxEntriesPerAppend() + ")");
            }
            case ConfigChange.Remove remove when !latest.contains(remove.id()) -> {
                return reject(Reason.UNKNOWN_MEMBER, remove.id() + " is not a member of " + latest);
            }
            case ConfigChange.Remove remove when latest.isVoter(remove.id()) && latest.voters().size() == 1 -> {
                return reject(Reason.WOULD_LEAVE_NO_QUORUM, remove.id() + " is the only voter");
            }
            default -> {}
        }
        ClusterConfig next = latest.apply(change);
        LogEntry entry = replication.appendAsLeader(new Command.Configuration(next), null);
        return new ConfigChangeResult.Accepted(entry.index(), entry.term(), next);
    }

    /**
     * §4.2.1: a learner becomes a voter only once it "has caught up": its match index within one
     * AppendEntries' worth of entries of the leader's last index, and it has acknowledged something to
     * this leader (a silent one may be down); a node that lost its data never is.
     */
    private boolean caughtUp(String learner) {
        Progress p = state.leader.tracker().followers().get(learner);
        return p != null && !p.lostData && p.matchIndex > 0
                && p.matchIndex >= log.lastIndex() - config.maxEntriesPerAppend();
    }

    private static ConfigChangeResult reject(Reason reason, String detail) {
        return new ConfigChangeResult.Rejected(reason, detail);
    }
}
