package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.restarted;
import static raftkv.core.Harness.sent;

import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import raftkv.core.ConfigChangeResult.Reason;

/** Single-server membership changes on the leader (dissertation §4.1, its errata, §4.2.1, §4.2.2). */
class MembershipTest {

    static final Member N4 = new Member("n4", "http://n4:8080", "http://n4:9090");

    /** n1 leads THREE and has committed its no-op (n2 acknowledged it). */
    static RaftNode leaderWithNoOpCommitted() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 1));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(1);
        return n1;
    }

    static ConfigChangeResult.Accepted accepted(ConfigChangeResult result) {
        assertThat(result).isInstanceOf(ConfigChangeResult.Accepted.class);
        return (ConfigChangeResult.Accepted) result;
    }

    static Reason rejection(ConfigChangeResult result) {
        assertThat(result).isInstanceOf(ConfigChangeResult.Rejected.class);
        return ((ConfigChangeResult.Rejected) result).reason();
    }

    @Test
    void leaderAppendsNoChangeBeforeItsNoOpCommits_errata() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1); // the no-op of term 1 at index 1, not committed
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.AddLearner(N4)))).isEqualTo(Reason.NO_OP_NOT_COMMITTED);
        assertThat(n1.log()).hasSize(1);
        n1.step(ack(n1, "n2", 1, 1));
        drain(n1);
        ConfigChangeResult.Accepted added = accepted(n1.proposeConfigChange(new ConfigChange.AddLearner(N4)));
        assertThat(added.index()).isEqualTo(2);
        assertThat(added.configuration().learners()).containsExactly(N4);
        assertThat(n1.log().get(1).command()).isEqualTo(new Command.Configuration(added.configuration()));
    }

    @Test
    void atMostOneUncommittedChangeAtATime_4_1() {
        RaftNode n1 = leaderWithNoOpCommitted();
        accepted(n1.proposeConfigChange(new ConfigChange.AddLearner(N4)));
        drain(n1);
        ConfigChangeResult second = n1.proposeConfigChange(new ConfigChange.Remove("n3"));
        assertThat(rejection(second)).isEqualTo(Reason.CHANGE_IN_PROGRESS);
        n1.step(ack(n1, "n2", 2, 2));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(2);
        accepted(n1.proposeConfigChange(new ConfigChange.Remove("n3")));
    }

    @Test
    void theLeaderUsesANewConfigurationAsSoonAsItAppendsIt_4_1() {
        RaftNode n1 = leaderWithNoOpCommitted();
        accepted(n1.proposeConfigChange(new ConfigChange.AddLearner(N4)));
        assertThat(n1.configuration().learnerIds()).containsExactly("n4");
        // The new learner is sent the log in the same Ready: it is a member from now on.
        assertThat(sent(drain(n1), Message.AppendEntries.class)).extracting(Message::to).contains("n4");
        assertThat(n1.status().matchIndex()).containsKey("n4");
    }

    @Test
    void aRemovalCommitsByAMajorityOfTheNewConfiguration_4_1() {
        RaftNode n1 = leaderWithNoOpCommitted();
        ConfigChangeResult.Accepted removed = accepted(n1.proposeConfigChange(new ConfigChange.Remove("n3")));
        drain(n1);
        assertThat(n1.configuration().voterIds()).containsExactly("n1", "n2");
        n1.step(ack(n1, "n3", removed.index(), 2)); // n3 is no longer a member: its answer counts for nothing
        assertThat(n1.commitIndex()).isEqualTo(1);
        n1.step(ack(n1, "n2", removed.index(), 3));
        assertThat(n1.commitIndex()).isEqualTo(removed.index());
    }

    @Test
    void changesThatDoNotFitTheLatestConfigurationAreRejected() {
        RaftNode n1 = leaderWithNoOpCommitted();
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.AddLearner(Member.ofId("n2")))))
                .isEqualTo(Reason.ALREADY_MEMBER);
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.Promote("n2")))).isEqualTo(Reason.ALREADY_MEMBER);
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.Promote("n9")))).isEqualTo(Reason.UNKNOWN_MEMBER);
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.Remove("n9")))).isEqualTo(Reason.UNKNOWN_MEMBER);
        assertThat(n1.log()).hasSize(1);

        RaftNode alone = node("n1", List.of("n1"));
        Harness.tick(alone, alone.config().electionTimeoutMaxTicks());
        drain(alone);
        assertThat(alone.role()).isEqualTo(Role.LEADER);
        assertThat(rejection(alone.proposeConfigChange(new ConfigChange.Remove("n1"))))
                .isEqualTo(Reason.WOULD_LEAVE_NO_QUORUM);
    }

    @Test
    void aFollowerAnswersNotLeaderWithItsHint() {
        RaftNode n2 = node("n2", THREE);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        assertThat(n2.proposeConfigChange(new ConfigChange.AddLearner(N4)))
                .isEqualTo(new ConfigChangeResult.NotLeader("n1"));
    }

    @Test
    void aLeaderHandingOverLeadershipRejectsChanges_3_10() {
        RaftNode n1 = leaderWithNoOpCommitted();
        n1.transferLeadership("n3");
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.AddLearner(N4))))
                .isEqualTo(Reason.TRANSFERRING_LEADERSHIP);
    }

    @Test
    void aLearnerIsPromotedOnlyOnceCaughtUp_4_2_1() {
        // Two entries per AppendEntries: a learner may lag the leader's last index by two.
        RaftNode n1 = RaftNode.create(new RaftConfig("n1", THREE, 10, 20, 2, 2, 8, Set.of()), new SplittableRandom(42));
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 1));
        ConfigChangeResult.Accepted added = accepted(n1.proposeConfigChange(new ConfigChange.AddLearner(N4)));
        for (int i = 0; i < 4; i++) {
            n1.propose(new Command.Put("k" + i, "v"), null);
        }
        drain(n1);
        long last = n1.status().lastLogIndex(); // 6
        n1.step(ack(n1, "n2", last, 2));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(last);
        n1.step(ack(n1, "n4", added.index(), 3));
        drain(n1);
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.Promote("n4")))).isEqualTo(Reason.NOT_CAUGHT_UP);
        n1.step(ack(n1, "n4", last - 2, 4));
        drain(n1);
        ConfigChangeResult.Accepted promoted = accepted(n1.proposeConfigChange(new ConfigChange.Promote("n4")));
        assertThat(promoted.configuration().voterIds()).containsExactly("n1", "n2", "n3", "n4");
        assertThat(promoted.configuration().learners()).isEmpty();
    }

    @Test
    void aRemovedLeaderReplicatesWithoutCountingItselfThenHandsOverAndStepsDown_4_2_2() {
        RaftNode n1 = leaderWithNoOpCommitted();
        ConfigChangeResult.Accepted removed = accepted(n1.proposeConfigChange(new ConfigChange.Remove("n1")));
        drain(n1);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        // "it replicates log entries but does not count itself in majorities": n2 alone is not a
        // majority of {n2, n3}.
        n1.step(ack(n1, "n2", removed.index(), 2));
        assertThat(n1.commitIndex()).isEqualTo(1);
        n1.step(ack(n1, "n3", removed.index() - 1, 3));
        assertThat(n1.commitIndex()).isEqualTo(1);
        n1.step(ack(n1, "n3", removed.index(), 4));
        assertThat(n1.commitIndex()).isEqualTo(removed.index());
        // Committed without itself: it hands leadership to an up-to-date voter (§3.10) ...
        assertThat(n1.transferee()).isIn("n2", "n3");
        Ready ready = drain(n1);
        assertThat(sent(ready, Message.TimeoutNow.class)).extracting(Message::to).containsExactly(n1.transferee());
        assertThat(n1.proposeConfigChange(new ConfigChange.AddLearner(N4))).isInstanceOf(ConfigChangeResult.Rejected.class);
        // ... and, when no new leader deposes it within an election timeout, steps down by itself.
        Harness.tick(n1, n1.config().electionTimeoutMaxTicks() + 1);
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        drain(n1);
        // Not a voter of its latest configuration: it never campaigns again.
        Harness.tick(n1, 5 * n1.config().electionTimeoutMaxTicks());
        assertThat(drain(n1).messages()).isEmpty();
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void theConcurrentConfigChangesBugAppendsASecondChangeBeforeTheFirstCommits() {
        RaftNode n1 = node("n1", THREE, Bug.CONCURRENT_CONFIG_CHANGES);
        Harness.elect(n1);
        accepted(n1.proposeConfigChange(new ConfigChange.AddLearner(N4)));
        accepted(n1.proposeConfigChange(new ConfigChange.Remove("n3")));
        assertThat(n1.configuration().voterIds()).containsExactly("n1", "n2");
        assertThat(n1.commitIndex()).isZero();
    }

    @Test
    void aRestartedLeaderCannotChangeUntilItsNewTermsNoOpCommits_errata() {
        // The log holds a configuration entry of term 1, committed or not: after a restart and a new
        // election the leader must first commit its own no-op.
        ClusterConfig withN4 = ClusterConfig.ofVoterIds(THREE).apply(new ConfigChange.AddLearner(N4));
        RaftNode n1 = restarted("n1", THREE, new HardState(1, "n1"),
                List.of(new LogEntry(1, 1, new Command.Noop(), null), new LogEntry(1, 2, new Command.Configuration(withN4), null)));
        assertThat(n1.configuration()).isEqualTo(withN4);
        Harness.elect(n1);
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.Promote("n4")))).isEqualTo(Reason.NO_OP_NOT_COMMITTED);
        n1.step(ack(n1, "n2", 3, 1));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(3);
        // n4 has not answered this leader yet: it may be down, so it is not caught up.
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.Promote("n4")))).isEqualTo(Reason.NOT_CAUGHT_UP);
        n1.step(ack(n1, "n4", 3, 2));
        drain(n1);
        accepted(n1.proposeConfigChange(new ConfigChange.Promote("n4")));
    }
}
