package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.restarted;
import static raftkv.core.Harness.sent;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Leader election (§5.2), PreVote (dissertation §9.6) and the §8 no-op. */
class ElectionTest {

    @Test
    void electionTimeoutsAreRandomizedWithinTheConfiguredRange_5_2() {
        Set<Integer> observed = new HashSet<>();
        for (int seed = 0; seed < 50; seed++) {
            RaftNode n = RaftNode.create(Harness.config("n1", FIVE), new SplittableRandom(seed));
            int ticks = 0;
            while (n.role() == Role.FOLLOWER) {
                n.tick();
                ticks++;
                drain(n);
            }
            observed.add(ticks);
        }
        assertThat(observed).allMatch(t -> t >= 10 && t < 20);
        assertThat(observed.size()).as("distinct timeouts").isGreaterThan(3);
    }

    @Test
    void electionTimeoutStartsPreVoteWithoutChangingTerm_9_6() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(3, null), entries(1, 3));
        Ready ready = Harness.tickUntilCampaign(n1);
        assertThat(n1.role()).isEqualTo(Role.PRE_CANDIDATE);
        assertThat(n1.currentTerm()).isEqualTo(3);
        assertThat(ready.hardState()).isNull(); // nothing to persist: no term was spent
        List<Message.PreVote> preVotes = sent(ready, Message.PreVote.class);
        assertThat(preVotes).hasSize(4).allMatch(p -> p.term() == 4 && p.lastLogIndex() == 2 && p.lastLogTerm() == 3);
        assertThat(sent(ready, Message.RequestVote.class)).isEmpty();
    }

    @Test
    void preVoteMajorityStartsRealElection_9_6_5_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(1, "n2", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.PRE_CANDIDATE);
        n1.step(new Message.PreVoteReply(1, "n3", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
        assertThat(n1.currentTerm()).isEqualTo(1);
        assertThat(n1.votedFor()).isEqualTo("n1");
    }

    @Test
    void preVoteDoesNotChangeTheReceiversTermOrVote_9_6() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(3, "n4"), List.of());
        Harness.tick(n2, 25); // long past any election timeout, so no live leader is known
        drain(n2);
        n2.step(new Message.PreVote(7, "n1", "n2", 0, 0));
        Ready ready = drain(n2);
        assertThat(sent(ready, Message.PreVoteReply.class).getFirst().voteGranted()).isTrue();
        assertThat(n2.currentTerm()).isEqualTo(3);
        assertThat(n2.votedFor()).isEqualTo("n4");
        assertThat(ready.hardState()).isNull();
    }

    @Test
    void preVoteDeniedWhileALeaderIsHeardFrom_9_6() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, null), List.of());
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        // n3 was partitioned away and wants an election; n2 still hears from n1, so it refuses:
        // this is what stops a returning node from disrupting a healthy cluster.
        n2.step(new Message.PreVote(2, "n3", "n2", 0, 0));
        assertThat(sent(drain(n2), Message.PreVoteReply.class).getFirst().voteGranted()).isFalse();
        assertThat(n2.currentTerm()).isEqualTo(1);
        assertThat(n2.leaderId()).isEqualTo("n1");
    }

    @Test
    void preVoteDeniedToCandidateWithStaleLog_9_6_5_4_1() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(2, null), entries(1, 2));
        Harness.tick(n2, 25);
        drain(n2);
        n2.step(new Message.PreVote(3, "n1", "n2", 5, 1));
        assertThat(sent(drain(n2), Message.PreVoteReply.class).getFirst().voteGranted()).isFalse();
    }

    @Test
    void preVoteRejectionWithHigherTermMakesPreCandidateFollow_5_1() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(1, null), List.of());
        Harness.tickUntilCampaign(n1);
        n1.step(new Message.PreVoteReply(6, "n2", "n1", false));
        drain(n1);
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n1.currentTerm()).isEqualTo(6);
    }

    @Test
    void newLeaderAppendsNoopOfItsTermAndSendsIt_8() {
        RaftNode n1 = node("n1", FIVE);
        Ready first = Harness.elect(n1);
        assertThat(n1.log()).hasSize(1);
        assertThat(n1.log().getFirst().command()).isEqualTo(new Command.Noop());
        assertThat(n1.log().getFirst().term()).isEqualTo(n1.currentTerm());
        assertThat(first.entriesToAppend()).hasSize(1);
        List<Message.AppendEntries> appends = sent(first, Message.AppendEntries.class);
        assertThat(appends).hasSize(4).allMatch(a -> a.entries().size() == 1 && a.prevLogIndex() == 0);
    }

    @Test
    void leaderSendsHeartbeatsWellBeforeElectionTimeout_5_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        int heartbeats = 0;
        for (int i = 0; i < 10; i++) { // the minimum election timeout
            n1.tick();
            heartbeats += sent(drain(n1), Message.AppendEntries.class).size();
        }
        assertThat(heartbeats).isGreaterThanOrEqualTo(4 * 4); // every 2 ticks to each of 4 followers
    }

    @Test
    void nonLeaderRejectsProposalsWithLeaderHint_5_1() {
        RaftNode n2 = node("n2", FIVE);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        assertThat(n2.propose(new Command.Put("1", "Ada"), null))
                .isEqualTo(new ProposalResult.NotLeader("n1"));
        assertThat(n2.log()).isEmpty();
    }
}
