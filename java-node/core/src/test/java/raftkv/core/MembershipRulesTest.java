package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;
import raftkv.core.ConfigChangeResult.Reason;

/**
 * Membership rules the leader enforces and follows (dissertation §4.1, §4.2.1, §4.2.2, §3.10),
 * seen from outside the leader: what it accepts, what it sends, when it steps down.
 */
class MembershipRulesTest {

    private static final Member N4 = Member.ofId("n4");

    /** n1 leads THREE and has committed its no-op (n2 acknowledged it). */
    private static RaftNode leaderWithNoOpCommitted() {
        RaftNode n1 = node("n1", THREE);
        Harness.elect(n1);
        n1.step(ack(n1, "n2", 1, 1));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(1);
        return n1;
    }

    private static Reason rejection(ConfigChangeResult result) {
        assertThat(result).isInstanceOf(ConfigChangeResult.Rejected.class);
        return ((ConfigChangeResult.Rejected) result).reason();
    }

    /** A single-voter cluster n1 with learner n4, both changes committed. */
    private static RaftNode singleVoterWithLearner() {
        RaftNode n1 = node("n1", List.of("n1"));
        for (int i = 0; i < 3 * n1.config().electionTimeoutMaxTicks() && n1.role() != Role.LEADER; i++) {
            n1.tick();
            drain(n1);
        }
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(n1.status().lastLogIndex());
        assertThat(n1.proposeConfigChange(new ConfigChange.AddLearner(N4)))
                .isInstanceOf(ConfigChangeResult.Accepted.class);
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(n1.status().lastLogIndex());
        return n1;
    }

    @Test
    void aConfigurationNeverGrowsBeyondTheMemberBoundAndARefusalAppendsNothing() {
        RaftNode n1 = singleVoterWithLearner(); // n1 and the learner n4
        for (int i = 5; n1.configuration().ids().size() < ClusterConfig.MAX_MEMBERS; i++) {
            assertThat(n1.proposeConfigChange(new ConfigChange.AddLearner(Member.ofId("n" + i))))
                    .isInstanceOf(ConfigChangeResult.Accepted.class);
            drain(n1);
        }
        long lastIndex = n1.status().lastLogIndex();
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.AddLearner(Member.ofId("one-too-many")))))
                .isEqualTo(Reason.TOO_MANY_MEMBERS);
        assertThat(n1.status().lastLogIndex()).as("nothing appended").isEqualTo(lastIndex);
        // Removing one makes room again.
        assertThat(n1.proposeConfigChange(new ConfigChange.Remove("n4"))).isInstanceOf(ConfigChangeResult.Accepted.class);
        drain(n1);
        assertThat(n1.proposeConfigChange(new ConfigChange.AddLearner(Member.ofId("one-too-many"))))
                .isInstanceOf(ConfigChangeResult.Accepted.class);
    }

    @Test
    void theOnlyVoterCannotBeRemovedButALearnerBesideItCan_4_1() {
        RaftNode n1 = singleVoterWithLearner();
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.Remove("n1"))))
                .isEqualTo(Reason.WOULD_LEAVE_NO_QUORUM);
        assertThat(n1.proposeConfigChange(new ConfigChange.Remove("n4")))
                .isInstanceOf(ConfigChangeResult.Accepted.class);
        assertThat(n1.configuration().learners()).isEmpty();
    }

    @Test
    void aLearnerThatLostItsDataIsNeverCaughtUp_4_2_1() {
        RaftNode n1 = leaderWithNoOpCommitted();
        ConfigChangeResult.Accepted added = (ConfigChangeResult.Accepted)
                n1.proposeConfigChange(new ConfigChange.AddLearner(N4));
        drain(n1);
        n1.step(ack(n1, "n2", added.index(), 2));
        n1.step(ack(n1, "n4", added.index(), 2));
        drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(added.index());
        // n4 was wiped: a probe sent after its acknowledgement finds its log empty.
        for (int i = 0; i < n1.config().heartbeatTicks(); i++) {
            n1.tick();
        }
        long round = sent(drain(n1), Message.AppendEntries.class).stream().filter(m -> m.to().equals("n4"))
                .findFirst().orElseThrow().round();
        n1.step(new Message.AppendEntriesReply(n1.currentTerm(), "n4", "n1", false, 0, 0, 1, round));
        drain(n1);
        assertThat(n1.status().lostData()).containsExactly("n4");
        assertThat(rejection(n1.proposeConfigChange(new ConfigChange.Promote("n4"))))
                .isEqualTo(Reason.NOT_CAUGHT_UP);
    }

    /** n1 removed itself from THREE and n2 and n3 hold the removal: it is committed. */
    private static RaftNode leaderThatRemovedItself() {
        RaftNode n1 = leaderWithNoOpCommitted();
        ConfigChangeResult.Accepted removed = (ConfigChangeResult.Accepted)
                n1.proposeConfigChange(new ConfigChange.Remove("n1"));
        drain(n1);
        n1.step(ack(n1, "n2", removed.index(), 2));
        Ready beforeCommit = drain(n1);
        // The new configuration's majority is n2 and n3; n1, no longer a voter, does not count (§4.2.2).
        assertThat(n1.commitIndex()).isEqualTo(1);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        assertThat(sent(beforeCommit, Message.TimeoutNow.class)).isEmpty();
        return n1;
    }

    @Test
    void aRemovedLeaderHandsOverToTheMostUpToDateVoterOnceTheRemovalCommits_4_2_2() {
        RaftNode n1 = leaderThatRemovedItself();
        n1.step(ack(n1, "n3", 2, 3));
        Ready ready = drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(2);
        assertThat(sent(ready, Message.TimeoutNow.class)).extracting(Message::to).containsExactly("n2");
    }

    @Test
    void aRemovedLeaderHandsOverOnlyToACaughtUpVoter_3_10() {
        RaftNode n1 = leaderThatRemovedItself();
        // n3 acknowledges only the no-op: not enough to commit, n2 stays the one that holds everything.
        n1.step(ack(n1, "n3", 1, 3));
        assertThat(sent(drain(n1), Message.TimeoutNow.class)).isEmpty();
        assertThat(n1.commitIndex()).isEqualTo(1);
    }

    @Test
    void aRemovedLeaderWhoseHandOverFailsStepsDownAfterAnElectionTimeout_4_2_2() {
        RaftNode n1 = leaderThatRemovedItself();
        n1.step(ack(n1, "n3", 2, 3));
        drain(n1);
        long term = n1.currentTerm();
        int maxTicks = n1.config().electionTimeoutMaxTicks();
        // The followers keep answering (CheckQuorum holds), but n2 never starts the election.
        for (int i = 0; i < maxTicks - 1; i++) {
            n1.tick();
            for (Message.AppendEntries m : sent(drain(n1), Message.AppendEntries.class)) {
                n1.step(ack(n1, m.to(), 2, m.round()));
            }
            assertThat(n1.role()).as("tick %d", i + 1).isEqualTo(Role.LEADER);
        }
        n1.tick();
        drain(n1);
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n1.currentTerm()).isEqualTo(term);
    }

    @Test
    void aRemovedLeaderKeepsLeadingUntilItsRemovalCommits_4_2_2() {
        RaftNode n1 = leaderWithNoOpCommitted();
        n1.propose(new Command.Put("k", "v"), null); // index 2
        ConfigChangeResult.Accepted removed = (ConfigChangeResult.Accepted)
                n1.proposeConfigChange(new ConfigChange.Remove("n1")); // index 3
        assertThat(removed.index()).isEqualTo(3);
        drain(n1);
        n1.step(ack(n1, "n2", 2, 2));
        n1.step(ack(n1, "n3", 2, 3));
        Ready ready = drain(n1);
        assertThat(n1.commitIndex()).isEqualTo(2);
        assertThat(sent(ready, Message.TimeoutNow.class)).isEmpty();
        assertThat(n1.transferee()).isNull();
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        n1.tick();
        drain(n1);
        assertThat(n1.role()).as("nor does its tick step it down before then").isEqualTo(Role.LEADER);
    }

    @Test
    void aRemovedLeaderHandsOverOnceThoughLaterEntriesCommitDuringTheTransfer_4_2_2_3_10() {
        RaftNode n1 = leaderWithNoOpCommitted();
        n1.proposeConfigChange(new ConfigChange.Remove("n1")); // index 2
        n1.propose(new Command.Put("k", "v"), null); // index 3
        drain(n1);
        n1.step(ack(n1, "n2", 2, 2));
        n1.step(ack(n1, "n3", 2, 3));
        List<Message.TimeoutNow> timeoutNows = new java.util.ArrayList<>(sent(drain(n1), Message.TimeoutNow.class));
        assertThat(n1.commitIndex()).isEqualTo(2);
        String target = n1.transferee();
        assertThat(target).as("the removal committed: the hand-over began").isNotNull();
        n1.step(ack(n1, "n2", 3, 4)); // the target, or the other voter, catches up
        timeoutNows.addAll(sent(drain(n1), Message.TimeoutNow.class));
        n1.step(ack(n1, "n3", 3, 5)); // index 3 commits during the transfer
        timeoutNows.addAll(sent(drain(n1), Message.TimeoutNow.class));
        assertThat(n1.commitIndex()).isEqualTo(3);
        // One transfer, started when the removal committed, with its one TimeoutNow (§3.10), not
        // started again by the next commit (which would also restart its election-timeout limit).
        assertThat(timeoutNows).extracting(Message::to).containsExactly(target);
        assertThat(n1.transferee()).isEqualTo(target);
    }

    @Test
    void aLearnerCannotBeHandedLeadership_4_2_1_3_10() {
        RaftNode n1 = leaderWithNoOpCommitted();
        ConfigChangeResult.Accepted added = (ConfigChangeResult.Accepted)
                n1.proposeConfigChange(new ConfigChange.AddLearner(N4));
        drain(n1);
        n1.step(ack(n1, "n2", added.index(), 2));
        n1.step(ack(n1, "n4", added.index(), 2));
        drain(n1);
        // n4 is a member the leader replicates to, and caught up, but it cannot win an election.
        assertThat(n1.transferLeadership("n4")).isEqualTo(new TransferResult.UnknownMember("n4"));
        assertThat(n1.transferee()).isNull();
        assertThat(sent(drain(n1), Message.TimeoutNow.class)).isEmpty();
    }
}
