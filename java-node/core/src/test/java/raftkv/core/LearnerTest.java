package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;
import static raftkv.core.Harness.ack;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.restarted;
import static raftkv.core.Harness.sent;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Learners, non-voting members (dissertation §4.2.1): they receive the log, but their vote never
 * counts, they never count toward a quorum (commit, CheckQuorum, ReadIndex), and never start an
 * election.
 */
class LearnerTest {

    /** Voters n1..n3, learner n4. */
    static final ClusterConfig WITH_LEARNER =
            ClusterConfig.ofVoterIds(THREE).apply(new ConfigChange.AddLearner(Member.ofId("n4")));

    /** The log every node starts from: entry 1 makes n4 a learner. */
    static List<LogEntry> learnerLog() {
        return List.of(new LogEntry(1, 1, new Command.Configuration(WITH_LEARNER), null));
    }

    static RaftNode learner() {
        return RaftNode.restart(Harness.config("n4", List.of()).joining(), new HardState(1, null), learnerLog(),
                new SplittableRandom(42));
    }

    /** n1 restarted with the learner's log, elected in term 2, no-op at 2. */
    static RaftNode leader() {
        RaftNode n1 = restarted("n1", THREE, new HardState(1, null), learnerLog());
        Harness.elect(n1);
        return n1;
    }

    @Test
    void aLearnersVoteNeverCountsForACandidateThatKnowsItAsALearner_4_2_1() {
        // n2 campaigns in term 2; the learner n4 grants, but n2 + n4 are one voter of three.
        RaftNode n2 = restarted("n2", THREE, new HardState(1, null), learnerLog());
        Harness.tickUntilCampaign(n2);
        n2.step(new Message.PreVoteReply(2, "n4", "n2", true));
        assertThat(n2.role()).isEqualTo(Role.PRE_CANDIDATE);
        n2.step(new Message.PreVoteReply(2, "n3", "n2", true));
        drain(n2);
        assertThat(n2.role()).isEqualTo(Role.CANDIDATE);
        n2.step(new Message.RequestVoteReply(2, "n4", "n2", true));
        assertThat(n2.role()).as("the learner's vote does not count").isEqualTo(Role.CANDIDATE);
        n2.step(new Message.RequestVoteReply(2, "n1", "n2", true));
        assertThat(n2.role()).isEqualTo(Role.LEADER);
    }

    @Test
    void aLearnerAnswersAVoteItMayOweAsAnUnknowingVoter_4_1() {
        // The candidate's log may hold the entry that promoted n4, which n4 has not received: n4's vote
        // then counts there. Refusing it can leave a majority of the voters unable to elect anyone
        // (etcd-io/etcd#10998). So n4 answers by Figure 2's rules, its own configuration aside.
        RaftNode n4 = learner();
        n4.step(new Message.PreVote(2, "n2", "n4", 5, 1));
        n4.step(new Message.RequestVote(2, "n2", "n4", 5, 1));
        Ready ready = drain(n4);
        assertThat(sent(ready, Message.PreVoteReply.class)).singleElement()
                .satisfies(r -> assertThat(r.voteGranted()).isTrue());
        assertThat(sent(ready, Message.RequestVoteReply.class)).singleElement()
                .satisfies(r -> assertThat(r.voteGranted()).isTrue());
        assertThat(n4.votedFor()).isEqualTo("n2");
        assertThat(n4.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void learnerNeverStartsAnElectionNorAPreVote_4_2_1() {
        RaftNode n4 = learner();
        for (int i = 0; i < 10 * n4.config().electionTimeoutMaxTicks(); i++) {
            n4.tick();
            assertThat(drain(n4).messages()).isEmpty();
        }
        assertThat(n4.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n4.currentTerm()).isEqualTo(1);
        // Nor does a leader's TimeoutNow make it campaign (§3.10 targets voters only).
        n4.step(new Message.TimeoutNow(1, "n1", "n4"));
        assertThat(drain(n4).messages()).isEmpty();
        assertThat(n4.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void aLearnerThatHearsNoLeaderForAnElectionTimeoutForgetsItAndGrantsAPreVote_9_6() {
        RaftNode n4 = learner();
        n4.step(new Message.AppendEntries(2, "n1", "n4", 1, 1, List.of(), 1, 1)); // leader n1's heartbeat
        drain(n4);
        assertThat(n4.leaderId()).isEqualTo("n1");
        // While it hears from the leader it refuses a PreVote (§9.6) ...
        n4.step(new Message.PreVote(3, "n2", "n4", 5, 2));
        assertThat(sent(drain(n4), Message.PreVoteReply.class)).singleElement()
                .satisfies(r -> assertThat(r.voteGranted()).isFalse());
        // ... but after an election timeout without a word from it, it knows no leader and grants one.
        for (int i = 0; i < n4.config().electionTimeoutMaxTicks(); i++) {
            n4.tick();
            drain(n4);
        }
        assertThat(n4.leaderId()).as("an election timeout without the leader").isNull();
        n4.step(new Message.PreVote(3, "n2", "n4", 5, 2));
        assertThat(sent(drain(n4), Message.PreVoteReply.class)).singleElement()
                .satisfies(r -> assertThat(r.voteGranted()).isTrue());
    }

    @Test
    void learnerReceivesTheLogAndTheCommitIndex_4_2_1() {
        RaftNode n4 = learner();
        LogEntry put = new LogEntry(2, 2, new Command.Put("k", "v"), null);
        n4.step(new Message.AppendEntries(2, "n1", "n4", 1, 1, List.of(put), 2, 1));
        Ready ready = drain(n4);
        assertThat(ready.committedEntries()).extracting(LogEntry::index).containsExactly(1L, 2L);
        assertThat(sent(ready, Message.AppendEntriesReply.class)).singleElement()
                .satisfies(r -> assertThat(r.success()).isTrue());
    }

    @Test
    void learnerNeverCountsTowardTheCommitIndex_4_2_1() {
        RaftNode n1 = leader();
        n1.step(ack(n1, "n4", 2, 1));
        assertThat(n1.commitIndex()).as("leader + learner are not a majority of three voters").isZero();
        n1.step(ack(n1, "n2", 2, 2));
        assertThat(n1.commitIndex()).isEqualTo(2);
    }

    @Test
    void learnerNeverCountsForCheckQuorum_6_2_4_2_1() {
        RaftNode n1 = leader();
        for (int i = 0; i < n1.config().electionTimeoutMaxTicks() + 1 && n1.role() == Role.LEADER; i++) {
            n1.step(ack(n1, "n4", 2, i + 1)); // only the learner answers
            n1.tick();
            drain(n1);
        }
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
    }

    @Test
    void learnerNeverConfirmsAReadIndex_6_4_4_2_1() {
        RaftNode n1 = leader();
        n1.step(ack(n1, "n2", 2, 1));
        drain(n1);
        n1.read(7);
        Ready round = drain(n1);
        long r = sent(round, Message.AppendEntries.class).getFirst().round();
        n1.step(ack(n1, "n4", 2, r));
        assertThat(drain(n1).readStates()).as("the leader and a learner are not a majority").isEmpty();
        n1.step(ack(n1, "n3", 2, r));
        assertThat(drain(n1).readStates()).containsExactly(new ReadState(7, 2));
    }

    @Test
    void learnerIsNotAskedForVotes_4_2_1() {
        RaftNode n2 = restarted("n2", THREE, new HardState(1, null), learnerLog());
        Ready preVote = Harness.tickUntilCampaign(n2);
        assertThat(sent(preVote, Message.PreVote.class)).extracting(Message::to).containsExactly("n1", "n3");
    }

    @Test
    void aJoiningNodeLearnsItsConfigurationFromTheLeader_4_2_1() {
        RaftNode n4 = RaftNode.create(Harness.config("n4", List.of()).joining(), new SplittableRandom(7));
        assertThat(n4.configuration()).isEqualTo(ClusterConfig.EMPTY);
        Harness.tick(n4, 3 * n4.config().electionTimeoutMaxTicks());
        assertThat(drain(n4).messages()).as("not a voter of any configuration: it waits").isEmpty();
        // Knowing no configuration, it votes for no one: an empty node under an old id could otherwise
        // be counted by a stale configuration that still names that id as a voter.
        n4.step(new Message.PreVote(1, "n2", "n4", 0, 0));
        assertThat(sent(drain(n4), Message.PreVoteReply.class)).singleElement()
                .satisfies(r -> assertThat(r.voteGranted()).isFalse());
        n4.step(new Message.RequestVote(1, "n2", "n4", 0, 0));
        assertThat(sent(drain(n4), Message.RequestVoteReply.class)).singleElement()
                .satisfies(r -> assertThat(r.voteGranted()).isFalse());
        n4.step(new Message.AppendEntries(1, "n1", "n4", 0, 0, learnerLog(), 0, 1));
        drain(n4);
        assertThat(n4.configuration()).isEqualTo(WITH_LEARNER);
    }
}
