package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A follower's driver with forwarded proposals and reads: a forward the leader appended at (index,
 * term) settles exactly like a local proposal, answered from the follower's own state machine; a
 * forwarded read is served here once applied up to the leader's read index (dissertation §6.4).
 */
class FollowerDriverTest {

    /** The incarnation of every node here: they boot once ({@link RaftNode#SINGLE_BOOT}). */
    private static final long BOOT = RaftNode.SINGLE_BOOT;

    private final List<String> trace = new ArrayList<>();
    private final List<Message> sent = new ArrayList<>();

    private final StableStorage storage = new StableStorage() {
        @Override
        public void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) {}

        @Override
        public void saveSnapshot(Snapshot snapshot, long firstKeptIndex) {}

        @Override
        public void installSnapshot(Snapshot snapshot) {}
    };

    private final Driver.Answers<String, String> answers = TracingAnswers.withForwards(trace);

    private static final LogEntry NOOP = new LogEntry(1, 1, new Command.Noop(), null);
    private static final LogEntry ADA = new LogEntry(1, 2, new Command.Put("1", "Ada"), null);

    /** n2 of three, following n1 in term 1, request ids from 1000. */
    private Driver<String, String> follower() throws Exception {
        Driver<String, String> driver = new Driver<>(Harness.node("n2", THREE), new KvStore(), storage,
                sent::addAll, answers, Driver.Observer.NONE, 1000, SnapshotWriter.IN_MEMORY,
                SnapshotRestorer.IN_PLACE);
        driver.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1));
        driver.handleReady();
        sent.clear();
        return driver;
    }

    private <T extends Message> T lastSent(Class<T> type) {
        return sent.stream().filter(type::isInstance).map(type::cast).reduce((a, b) -> b).orElseThrow();
    }

    private static Message.AppendEntries append(long term, String leader, List<LogEntry> entries, long commit) {
        return new Message.AppendEntries(term, leader, "n2", 0, 0, entries, commit, 2);
    }

    @Test
    void forwardedProposalIsAnsweredFromTheFollowersOwnStateMachine_5_3() throws Exception {
        Driver<String, String> n2 = follower();
        assertThat(n2.propose(ADA.command(), null, "w1")).isEqualTo(new ProposalResult.Forwarded(1000, "n1"));
        n2.handleReady();
        long id = lastSent(Message.ForwardedProposal.class).proposalId();
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, id, new ForwardOutcome.Appended(2, 1)));
        n2.handleReady();
        assertThat(trace).isEmpty();
        assertThat(n2.proposalsWaiting()).isEqualTo(1);
        n2.step(append(1, "n1", List.of(NOOP, ADA), 2));
        n2.handleReady();
        assertThat(trace).containsExactly("applied w1 Ok[value=Ada]");
        assertThat(n2.kv().get("1")).isEqualTo(new Result.Ok("Ada"));
        assertThat(n2.forwardsWaiting()).isZero();
    }

    @Test
    void forwardedProposalIsSupersededWhenAnotherTermsEntryCommitsAtItsIndex_5_3() throws Exception {
        Driver<String, String> n2 = follower();
        n2.propose(ADA.command(), null, "w1");
        n2.handleReady();
        long id = lastSent(Message.ForwardedProposal.class).proposalId();
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, id, new ForwardOutcome.Appended(2, 1)));
        n2.handleReady();
        n2.step(append(2, "n3", Harness.entries(2, 2), 2));
        n2.handleReady();
        assertThat(trace).containsExactly("superseded w1 by term 2");
    }

    @Test
    void forwardAnsweredAfterItsEntryWasAppliedHereIsUnknown() throws Exception {
        Driver<String, String> n2 = follower();
        n2.propose(ADA.command(), null, "w1");
        n2.handleReady();
        long id = lastSent(Message.ForwardedProposal.class).proposalId();
        n2.step(append(1, "n1", List.of(NOOP, ADA), 2)); // overtook the leader's answer
        n2.handleReady();
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, id, new ForwardOutcome.Appended(2, 1)));
        n2.handleReady();
        assertThat(trace).containsExactly("unanswered w1");
        assertThat(n2.proposalsWaiting()).as("never registered at an index already applied").isZero();
    }

    @Test
    void refusedForwardIsAnsweredAsNotAppended() throws Exception {
        Driver<String, String> n2 = follower();
        n2.propose(ADA.command(), null, "w1");
        n2.handleReady();
        long id = lastSent(Message.ForwardedProposal.class).proposalId();
        n2.step(new Message.ForwardedProposalReply(1, "n1", "n2", BOOT, id, new ForwardOutcome.Refused("n3")));
        n2.handleReady();
        assertThat(trace).containsExactly("refused w1, ask n3");
        assertThat(n2.forwardsWaiting()).isZero();
    }

    @Test
    void forwardsWaitingWhenTheLeaderChangesAreUnknownAndNotLeaked() throws Exception {
        Driver<String, String> n2 = follower();
        n2.propose(ADA.command(), null, "w1");
        n2.read("r1");
        n2.handleReady();
        assertThat(n2.forwardsWaiting()).as("w1 waits for the leader's answer").isEqualTo(1);
        assertThat(n2.readsWaiting()).as("r1 waits for its read index").isEqualTo(1);
        n2.step(append(2, "n3", List.of(), 0));
        n2.handleReady();
        assertThat(trace).containsExactlyInAnyOrder("unanswered w1", "dropped r1");
        assertThat(n2.forwardsWaiting()).isZero();
        assertThat(n2.readsWaiting()).isZero();
    }

    @Test
    void followerReadWaitsForLeaderCommitIndex_6_4() throws Exception {
        Driver<String, String> n2 = follower();
        assertThat(n2.read("r1")).isEqualTo(new ReadResult.Registered());
        n2.handleReady();
        Message.ReadIndexRequest request = lastSent(Message.ReadIndexRequest.class);
        assertThat(request.to()).isEqualTo("n1");
        // The leader's commit index is 2 (a write acknowledged before the read began): n2 has applied 0.
        n2.step(new Message.ReadIndexReply(1, "n1", "n2", BOOT, request.requestId(), 2));
        n2.handleReady();
        assertThat(trace).as("§6.4 step 4: not before applying up to the read index").isEmpty();
        assertThat(n2.readsWaiting()).as("confirmed, it waits to be applied, across Readys").isEqualTo(1);
        n2.step(append(1, "n1", List.of(NOOP), 1));
        n2.handleReady();
        assertThat(trace).isEmpty();
        n2.step(append(1, "n1", List.of(NOOP, ADA), 2));
        n2.handleReady();
        assertThat(trace).containsExactly("serve r1 at applied 2");
        assertThat(n2.readsWaiting()).isZero();
    }

    @Test
    void aReadysMessagesAreEachSentOnceWhetherTheyPromiseSomethingDurableOrNot_10_2_1() throws Exception {
        Driver<String, String> n2 = follower();
        n2.propose(ADA.command(), null, "w1"); // a forward: it promises nothing, it may leave at once
        n2.step(append(1, "n1", List.of(NOOP), 0)); // an acknowledgement: it waits for the persist
        n2.handleReady();
        assertThat(sent).hasSize(2);
        assertThat(sent.getFirst()).isInstanceOf(Message.ForwardedProposal.class);
        assertThat(sent.getLast()).isInstanceOf(Message.AppendEntriesReply.class);
    }

    @Test
    void requestIdsStartWhereTheCallerSaid() throws Exception {
        Driver<String, String> n2 = follower();
        n2.read("r1");
        n2.propose(ADA.command(), null, "w1");
        n2.handleReady();
        assertThat(lastSent(Message.ReadIndexRequest.class).requestId()).isEqualTo(1000);
        assertThat(lastSent(Message.ForwardedProposal.class).proposalId()).isEqualTo(1001);
    }
}
