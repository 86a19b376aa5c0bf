package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.core.Harness.THREE;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The shared driver: the Ready contract's order (persist → send → apply → answer → advance) and the
 * bookkeeping that turns committed entries and confirmed reads into answers.
 */
class DriverTest {

    /** Everything the driver did, in order, as one readable trace. */
    private final List<String> trace = new ArrayList<>();

    private final StableStorage storage = new StableStorage() {
        @Override
        public void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) {
            trace.add("persist " + (hardState == null ? "-" : hardState.currentTerm() + "/" + hardState.votedFor())
                    + " truncate " + truncateFrom + " entries " + entries.stream().map(LogEntry::index).toList());
        }

        @Override
        public void saveSnapshot(Snapshot snapshot, long firstKeptIndex) {
            trace.add("save snapshot " + snapshot.lastIncludedIndex() + " keep from " + firstKeptIndex);
        }

        @Override
        public void installSnapshot(Snapshot snapshot) {
            trace.add("install snapshot " + snapshot.lastIncludedIndex());
        }
    };

    private final Sender sender = messages -> messages.forEach(m -> trace.add("send " + m.getClass().getSimpleName()
            + " to " + m.to()));

    private final Driver.Answers<String, String> answers = TracingAnswers.withoutForwards(trace);

    /** Records the observer's hooks into the same trace, so their place in the order shows. */
    private final Driver.Observer observer = new Driver.Observer() {
        @Override
        public void persisted(Ready ready) {
            trace.add("observed persisted");
        }

        @Override
        public void applied(LogEntry entry, Result result) {
            trace.add("observed applied " + entry.index());
        }

        @Override
        public void advanced() {
            trace.add("observed advanced");
        }
    };

    private boolean observing;

    private Driver<String, String> driver(RaftNode node) {
        return new Driver<>(node, new KvStore(), storage, sender, answers, observing ? observer : Driver.Observer.NONE);
    }

    private Driver<String, String> singleNodeLeader() throws Exception {
        Driver<String, String> driver = driver(RaftNode.create(
                RaftConfig.of("n1", List.of("n1")).withTiming(10, 20, 2), new SplittableRandom(1)));
        for (int i = 0; i < 20 && driver.node().role() != Role.LEADER; i++) {
            driver.tick();
            driver.handleReady();
        }
        assertThat(driver.node().role()).isEqualTo(Role.LEADER);
        trace.clear();
        return driver;
    }

    /** n1 of three, elected in term 1 by hand: n2's PreVote and vote grants, each Ready handled. */
    private Driver<String, String> leaderOfThreeInTerm1() throws Exception {
        Driver<String, String> driver = driver(Harness.node("n1", THREE));
        Harness.tickUntilCampaign(driver.node());
        driver.step(new Message.PreVoteReply(1, "n2", "n1", true));
        driver.handleReady();
        driver.step(new Message.RequestVoteReply(1, "n2", "n1", true));
        driver.handleReady();
        assertThat(driver.node().role()).isEqualTo(Role.LEADER);
        return driver;
    }

    @Test
    void voteIsPersistedBeforeTheReplyIsSent_Figure2() throws Exception {
        Driver<String, String> driver = driver(Harness.node("n2", THREE));
        driver.step(new Message.RequestVote(1, "n1", "n2", 0, 0));
        driver.handleReady();
        assertThat(trace).containsExactly("persist 1/n1 truncate 0 entries []", "send RequestVoteReply to n1");
    }

    @Test
    void appendedEntriesArePersistedBeforeTheAcknowledgementIsSent_Figure2() throws Exception {
        Driver<String, String> driver = driver(Harness.node("n2", THREE));
        driver.step(new Message.AppendEntries(1, "n1", "n2", 0, 0, Harness.entries(1, 1), 0, 1));
        driver.handleReady();
        assertThat(trace).containsExactly("persist 1/null truncate 0 entries [1, 2]",
                "send AppendEntriesReply to n1");
    }

    @Test
    void aCandidatesVoteForItselfIsPersistedBeforeItsRequestVotesLeave_Figure2() throws Exception {
        Driver<String, String> driver = driver(Harness.node("n1", THREE));
        Harness.tickUntilCampaign(driver.node());
        driver.step(new Message.PreVoteReply(1, "n2", "n1", true));
        trace.clear();
        driver.handleReady();
        assertThat(trace).containsExactly("persist 1/n1 truncate 0 entries []", "send RequestVote to n2",
                "send RequestVote to n3");
    }

    @Test
    void aLeadersAppendEntriesLeaveBeforeItsOwnWrite_10_2_1() throws Exception {
        Driver<String, String> driver = leaderOfThreeInTerm1();
        driver.step(new Message.AppendEntriesReply(1, "n2", "n1", true, 1, 0, 0, 1)); // n2 holds the no-op
        driver.handleReady();
        trace.clear();

        driver.propose(new Command.Put("1", "Ada"), null, "w1");
        driver.handleReady();
        // n3 never answered its first AppendEntries, so only n2 is streamed to (§5.3 flow control).
        assertThat(trace).containsExactly("send AppendEntries to n2", "persist - truncate 0 entries [2]");

        trace.clear();
        driver.step(new Message.AppendEntriesReply(1, "n2", "n1", true, 2, 0, 0, 2));
        driver.handleReady();
        assertThat(trace).containsExactly("applied w1 Ok[value=Ada]"); // n2 and the leader's durable copy
    }

    @Test
    void proposalIsAnsweredOnceItsEntryIsCommittedAndApplied_5_3() throws Exception {
        Driver<String, String> driver = singleNodeLeader();
        ProposalResult result = driver.propose(new Command.Put("1", "Ada"), null, "w1");
        assertThat(result).isInstanceOf(ProposalResult.Appended.class);
        assertThat(trace).isEmpty();
        driver.handleReady();
        assertThat(trace).containsExactly("persist - truncate 0 entries [2]", "applied w1 Ok[value=Ada]");
        assertThat(driver.kv().get("1")).isEqualTo(new Result.Ok("Ada"));
    }

    @Test
    void proposalToAFollowerIsNotTracked() throws Exception {
        Driver<String, String> driver = driver(Harness.node("n2", THREE));
        assertThat(driver.propose(new Command.Put("1", "Ada"), null, "w1"))
                .isInstanceOf(ProposalResult.NotLeader.class);
        driver.handleReady();
        assertThat(trace).isEmpty();
        assertThat(driver.proposalsWaiting()).isZero();
    }

    @Test
    void aProposalWaitsUntilItsIndexCommitsAndNoLonger() throws Exception {
        Driver<String, String> driver = singleNodeLeader();
        driver.propose(new Command.Put("1", "Ada"), null, "w1");
        assertThat(driver.proposalsWaiting()).isEqualTo(1);
        driver.handleReady();
        assertThat(driver.proposalsWaiting()).isZero();
    }

    @Test
    void observersSeeEachReadyPersistedBeforeItIsSentAndAdvancedAfterItIsApplied() throws Exception {
        observing = true;
        Driver<String, String> driver = singleNodeLeader();
        driver.propose(new Command.Put("1", "Ada"), null, "w1");
        driver.handleReady();
        assertThat(trace).containsExactly(
                "persist - truncate 0 entries [2]", "observed persisted", "observed advanced", // the append
                "observed persisted", "observed applied 2", "applied w1 Ok[value=Ada]", "observed advanced");
        trace.clear();
        Driver<String, String> follower = driver(Harness.node("n2", THREE));
        follower.step(new Message.RequestVote(1, "n1", "n2", 0, 0));
        follower.handleReady();
        assertThat(trace).containsExactly("persist 1/n1 truncate 0 entries []", "observed persisted",
                "send RequestVoteReply to n1", "observed advanced");
    }

    @Test
    void proposalIsSupersededWhenAnotherTermsEntryCommitsAtItsIndex_5_3() throws Exception {
        // n1 becomes leader of term 1 (its no-op is index 1), then appends our write at index 2.
        Driver<String, String> driver = leaderOfThreeInTerm1();
        driver.propose(new Command.Put("1", "Ada"), null, "w1");
        driver.handleReady();
        trace.clear();
        // A leader of term 2 replaces index 1 and 2 with its own entries and commits them.
        driver.step(new Message.AppendEntries(2, "n3", "n1", 0, 0, Harness.entries(2, 2), 2, 1));
        driver.handleReady();
        assertThat(trace).contains("superseded w1 by term 2").doesNotContain("applied w1 Ok[value=Ada]");
    }

    @Test
    void readIsServedOnceAppliedUpToTheCommitIndexItArrivedAt_6_4() throws Exception {
        Driver<String, String> driver = singleNodeLeader();
        driver.propose(new Command.Put("1", "Ada"), null, "w1");
        driver.handleReady();
        assertThat(driver.read("r1")).isInstanceOf(ReadResult.Registered.class);
        assertThat(trace).doesNotContain("serve r1 at applied 2");
        driver.handleReady();
        // The write was acknowledged before the read arrived, so the read must see it (read index 2).
        assertThat(trace).containsSubsequence("applied w1 Ok[value=Ada]", "serve r1 at applied 2");
    }

    @Test
    void readIsDroppedWhenLeadershipIsLostBeforeConfirmation_6_4() throws Exception {
        Driver<String, String> driver = leaderOfThreeInTerm1();
        driver.read("r1");
        driver.handleReady();
        trace.clear();
        driver.step(new Message.AppendEntries(5, "n3", "n1", 0, 0, List.of(), 0, 1));
        driver.handleReady();
        assertThat(trace).contains("dropped r1").noneMatch(line -> line.startsWith("serve"));
    }

    @Test
    void readOnAFollowerIsRefusedAndNotTracked() throws Exception {
        Driver<String, String> driver = driver(Harness.node("n2", THREE));
        assertThat(driver.read("r1")).isInstanceOf(ReadResult.NotLeader.class);
        driver.handleReady();
        assertThat(trace).isEmpty();
        assertThat(driver.readsWaiting()).isZero();
    }

    @Test
    void aReadIsServedExactlyOnce_6_4() throws Exception {
        Driver<String, String> driver = singleNodeLeader();
        driver.read("r1");
        assertThat(driver.readsWaiting()).isEqualTo(1);
        driver.handleReady();
        driver.propose(new Command.Put("1", "Ada"), null, "w1");
        driver.handleReady();
        assertThat(trace.stream().filter(line -> line.startsWith("serve r1"))).hasSize(1);
        assertThat(driver.readsWaiting()).isZero();
    }
}
