package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.FIVE;
import static raftkv.core.Harness.drain;
import static raftkv.core.Harness.entries;
import static raftkv.core.Harness.node;
import static raftkv.core.Harness.restarted;
import static raftkv.core.Harness.sent;

import java.util.List;
import org.junit.jupiter.api.Test;

/** RequestVote RPC, receiver implementation (Figure 2) and the election rules of §5.1, §5.2, §5.4.1. */
class RequestVoteTest {

    @Test
    void replyFalseIfTermLessThanCurrentTerm_5_1() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(5, null), List.of());
        n2.step(new Message.RequestVote(4, "n1", "n2", 0, 0));
        Ready ready = drain(n2);
        Message.RequestVoteReply reply = sent(ready, Message.RequestVoteReply.class).getFirst();
        assertThat(reply.voteGranted()).isFalse();
        assertThat(reply.term()).isEqualTo(5);
        assertThat(n2.votedFor()).isNull();
    }

    @Test
    void grantVoteIfVotedForIsNullAndCandidateLogIsUpToDate_5_2_5_4() {
        RaftNode n2 = node("n2", FIVE);
        n2.step(new Message.RequestVote(1, "n1", "n2", 0, 0));
        Ready ready = drain(n2);
        assertThat(sent(ready, Message.RequestVoteReply.class).getFirst().voteGranted()).isTrue();
        assertThat(n2.votedFor()).isEqualTo("n1");
    }

    @Test
    void voteIsPersistedInTheSameReadyAsTheReply_Figure2StableStorage() {
        RaftNode n2 = node("n2", FIVE);
        n2.step(new Message.RequestVote(1, "n1", "n2", 0, 0));
        Ready ready = drain(n2);
        // The driver persists hardState before sending messages: the grant cannot outrun the vote.
        assertThat(ready.hardState()).isEqualTo(new HardState(1, "n1"));
        assertThat(ready.mustPersist()).isTrue();
    }

    @Test
    void voteAtMostOnceInATerm_5_2() {
        RaftNode n2 = node("n2", FIVE);
        n2.step(new Message.RequestVote(1, "n1", "n2", 0, 0));
        drain(n2);
        n2.step(new Message.RequestVote(1, "n3", "n2", 0, 0));
        Ready ready = drain(n2);
        assertThat(sent(ready, Message.RequestVoteReply.class).getFirst().voteGranted()).isFalse();
        assertThat(n2.votedFor()).isEqualTo("n1");
        // ... but the same candidate asking again (a retransmission) gets the same answer.
        n2.step(new Message.RequestVote(1, "n1", "n2", 0, 0));
        assertThat(sent(drain(n2), Message.RequestVoteReply.class).getFirst().voteGranted()).isTrue();
    }

    @Test
    void votedForSurvivesRestart_5_2() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, "n1"), List.of());
        n2.step(new Message.RequestVote(1, "n3", "n2", 0, 0));
        assertThat(sent(drain(n2), Message.RequestVoteReply.class).getFirst().voteGranted()).isFalse();
    }

    @Test
    void bugForgetVoteLosesVotedForOnRestart() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(1, "n1"), List.of(), Bug.FORGET_VOTE);
        n2.step(new Message.RequestVote(1, "n3", "n2", 0, 0));
        assertThat(sent(drain(n2), Message.RequestVoteReply.class).getFirst().voteGranted()).isTrue();
    }

    @Test
    void denyVoteIfCandidateLastTermIsOlder_5_4_1() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(3, null), entries(1, 3));
        n2.step(new Message.RequestVote(4, "n1", "n2", 5, 2)); // longer log, but older last term
        assertThat(sent(drain(n2), Message.RequestVoteReply.class).getFirst().voteGranted()).isFalse();
    }

    @Test
    void denyVoteIfSameLastTermButCandidateLogIsShorter_5_4_1() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(3, null), entries(1, 3, 3));
        n2.step(new Message.RequestVote(4, "n1", "n2", 2, 3));
        assertThat(sent(drain(n2), Message.RequestVoteReply.class).getFirst().voteGranted()).isFalse();
        n2.step(new Message.RequestVote(4, "n3", "n2", 3, 3));
        assertThat(sent(drain(n2), Message.RequestVoteReply.class).getFirst().voteGranted()).isTrue();
    }

    @Test
    void higherTermInAnyMessageConvertsToFollower_5_1() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        long term = n1.currentTerm();
        // A follower that has moved on to a newer term rejects the leader's AppendEntries.
        n1.step(new Message.AppendEntriesReply(term + 1, "n3", "n1", false, 0, 0, 0, 1));
        Ready ready = drain(n1);
        assertThat(n1.role()).isEqualTo(Role.FOLLOWER);
        assertThat(n1.currentTerm()).isEqualTo(term + 1);
        assertThat(n1.votedFor()).isNull();
        assertThat(ready.hardState()).isEqualTo(new HardState(term + 1, null));
    }

    @Test
    void higherTermRequestVoteConvertsLeaderlessFollowerAndMayWinItsVote_5_1() {
        RaftNode n2 = restarted("n2", FIVE, new HardState(3, "n4"), entries(1, 3));
        n2.step(new Message.RequestVote(5, "n1", "n2", 2, 3));
        Ready ready = drain(n2);
        assertThat(n2.currentTerm()).isEqualTo(5);
        assertThat(n2.votedFor()).isEqualTo("n1");
        assertThat(sent(ready, Message.RequestVoteReply.class)).singleElement()
                .isEqualTo(new Message.RequestVoteReply(5, "n2", "n1", true));
    }

    @Test
    void aHigherTermVoteMessageLeavesTheLeaderUnknown_5_1_5_2() {
        // Only AppendEntries and InstallSnapshot come from a leader. A RequestVote or a reply tells of a
        // newer term, not of who leads it: naming its sender would send clients to a mere candidate.
        RaftNode n2 = restarted("n2", FIVE, new HardState(3, null), entries(1, 3));
        n2.step(new Message.RequestVote(5, "n1", "n2", 2, 3));
        drain(n2);
        assertThat(n2.currentTerm()).isEqualTo(5);
        assertThat(n2.leaderId()).isNull();
        n2.step(new Message.RequestVoteReply(6, "n3", "n2", false));
        drain(n2);
        assertThat(n2.currentTerm()).isEqualTo(6);
        assertThat(n2.leaderId()).isNull();
        assertThat(n2.propose(new Command.Noop(), null)).isEqualTo(new ProposalResult.NotLeader(null));
    }

    /** n2 follows n1 in term 1 and has just heard from it. */
    private static RaftNode followerOfN1() {
        RaftNode n2 = node("n2", FIVE);
        n2.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        drain(n2);
        return n2;
    }

    @Test
    void followerThatHeardFromLeaderWithinMinElectionTimeoutIgnoresRequestVote_4_2_3() {
        RaftNode n2 = followerOfN1();
        Harness.tick(n2, 9); // one tick short of the minimum election timeout (10)
        drain(n2);
        n2.step(new Message.RequestVote(2, "n3", "n2", 0, 0));
        Ready ready = drain(n2);
        // etcd-io/raft ignores it outright: no term change, no vote, nothing persisted, no reply.
        assertThat(ready.messages()).isEmpty();
        assertThat(ready.hardState()).isNull();
        assertThat(n2.currentTerm()).isEqualTo(1);
        assertThat(n2.votedFor()).isNull();
        assertThat(n2.leaderId()).isEqualTo("n1");
    }

    @Test
    void followerGrantsRequestVoteOnceMinElectionTimeoutPassedWithoutLeader_4_2_3() {
        RaftNode n2 = followerOfN1();
        Harness.tick(n2, 10); // the minimum election timeout, without a word from n1
        drain(n2);
        n2.step(new Message.RequestVote(2, "n3", "n2", 0, 0));
        Ready ready = drain(n2);
        assertThat(sent(ready, Message.RequestVoteReply.class)).singleElement()
                .isEqualTo(new Message.RequestVoteReply(2, "n2", "n3", true));
        assertThat(n2.currentTerm()).isEqualTo(2);
        assertThat(n2.votedFor()).isEqualTo("n3");
    }

    @Test
    void leaderIgnoresHigherTermRequestVote_4_2_3_6_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        long term = n1.currentTerm();
        // n3's log is more up-to-date than n1's, so only stickiness stops n1 from stepping down.
        n1.step(new Message.RequestVote(term + 1, "n3", "n1", 5, term));
        Ready ready = drain(n1);
        assertThat(ready.messages()).isEmpty();
        assertThat(ready.hardState()).isNull();
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        assertThat(n1.currentTerm()).isEqualTo(term);
    }

    @Test
    void aLeaderIgnoresHigherTermRequestVoteThroughoutItsFirstQuorumPeriod_4_2_3_6_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.elect(n1);
        long term = n1.currentTerm();
        // Past the minimum election timeout, before its first CheckQuorum: still the live leader.
        Harness.tick(n1, n1.config().electionTimeoutMinTicks() + 1);
        drain(n1);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        n1.step(new Message.RequestVote(term + 1, "n3", "n1", 5, term));
        Ready ready = drain(n1);
        assertThat(ready.messages()).noneMatch(m -> m instanceof Message.RequestVoteReply);
        assertThat(n1.role()).isEqualTo(Role.LEADER);
        assertThat(n1.currentTerm()).isEqualTo(term);
    }

    @Test
    void candidateWithMajorityOfVotesBecomesLeader_5_2() {
        RaftNode n1 = node("n1", FIVE);
        Harness.tickUntilCampaign(n1);
        for (String peer : List.of("n2", "n3")) {
            n1.step(new Message.PreVoteReply(1, peer, "n1", true));
        }
        Ready campaign = drain(n1);
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
        assertThat(n1.currentTerm()).isEqualTo(1);
        assertThat(campaign.hardState()).isEqualTo(new HardState(1, "n1"));
        assertThat(sent(campaign, Message.RequestVote.class)).hasSize(4);
        n1.step(new Message.RequestVoteReply(1, "n2", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE); // 2 of 5 is not a majority
        n1.step(new Message.RequestVoteReply(1, "n3", "n1", false));
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
        n1.step(new Message.RequestVoteReply(1, "n4", "n1", true));
        assertThat(n1.role()).isEqualTo(Role.LEADER);
    }

    @Test
    void votesFromAnOlderTermDoNotCount_5_1() {
        RaftNode n1 = restarted("n1", FIVE, new HardState(4, null), List.of());
        Harness.tickUntilCampaign(n1);
        for (String peer : List.of("n2", "n3")) {
            n1.step(new Message.PreVoteReply(5, peer, "n1", true));
        }
        drain(n1);
        for (String peer : List.of("n2", "n3", "n4")) {
            n1.step(new Message.RequestVoteReply(4, peer, "n1", true));
        }
        assertThat(n1.role()).isEqualTo(Role.CANDIDATE);
    }
}
