package raftkv.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * How a server learns what became of a membership change it proposed through the {@link Driver}: like
 * a client's command, once its entry's index commits (applied), or never (superseded).
 */
class DriverMembershipTest {

    private final List<String> trace = new ArrayList<>();

    private final StableStorage storage = new StableStorage() {
        @Override
        public void persist(HardState hardState, long truncateFrom, List<LogEntry> entries) {}

        @Override
        public void saveSnapshot(Snapshot snapshot, long firstKeptIndex) {}

        @Override
        public void installSnapshot(Snapshot snapshot) {}
    };

    private Driver<String, String> singleNodeLeader() throws Exception {
        Driver<String, String> driver = new Driver<>(RaftNode.create(
                RaftConfig.of("n1", List.of("n1")).withTiming(10, 20, 2), new SplittableRandom(1)), new KvStore(),
                storage, messages -> {}, TracingAnswers.withoutForwards(trace), Driver.Observer.NONE);
        for (int i = 0; i < 20 && driver.node().role() != Role.LEADER; i++) {
            driver.tick();
            driver.handleReady();
        }
        assertThat(driver.node().role()).isEqualTo(Role.LEADER);
        return driver;
    }

    @Test
    void anAcceptedChangeIsAnsweredOnceItsEntryCommits_4_1() throws Exception {
        Driver<String, String> driver = singleNodeLeader();
        ConfigChangeResult result = driver.proposeConfigChange(new ConfigChange.AddLearner(Member.ofId("n2")), "add n2");
        assertThat(result).isInstanceOf(ConfigChangeResult.Accepted.class);
        assertThat(driver.proposalsWaiting()).isEqualTo(1);
        driver.handleReady(); // a single voter: durable is committed
        assertThat(trace).containsExactly("applied add n2 Ok[value=null]");
        assertThat(driver.node().configuration().learnerIds()).containsExactly("n2");
        assertThat(driver.kv().lastApplied()).isEqualTo(2);
    }

    @Test
    void aRejectedChangeWaitsForNothing() throws Exception {
        Driver<String, String> driver = singleNodeLeader();
        ConfigChangeResult result = driver.proposeConfigChange(new ConfigChange.Remove("n1"), "remove n1");
        assertThat(result).isInstanceOf(ConfigChangeResult.Rejected.class);
        assertThat(((ConfigChangeResult.Rejected) result).reason())
                .isEqualTo(ConfigChangeResult.Reason.WOULD_LEAVE_NO_QUORUM);
        driver.handleReady();
        assertThat(driver.proposalsWaiting()).isZero();
        assertThat(trace).isEmpty();
    }

    @Test
    void aChangeOverwrittenByAnotherLeaderIsSuperseded_5_3() throws Exception {
        // n1 leads three nodes, appends a change no one else receives; n2's leader of term 2 overwrites it.
        Driver<String, String> driver = new Driver<>(Harness.node("n1", Harness.THREE), new KvStore(), storage,
                messages -> {}, TracingAnswers.withoutForwards(trace), Driver.Observer.NONE);
        Harness.tickUntilCampaign(driver.node());
        driver.step(new Message.PreVoteReply(1, "n2", "n1", true));
        driver.handleReady();
        driver.step(new Message.RequestVoteReply(1, "n2", "n1", true));
        driver.handleReady();
        driver.step(new Message.AppendEntriesReply(1, "n2", "n1", true, 1, 0, 0, 1));
        driver.handleReady();
        assertThat(driver.proposeConfigChange(new ConfigChange.Remove("n3"), "remove n3"))
                .isEqualTo(new ConfigChangeResult.Accepted(2, 1, ClusterConfig.ofVoterIds(List.of("n1", "n2"))));
        driver.handleReady();
        LogEntry other = new LogEntry(2, 2, new Command.Noop(), null);
        driver.step(new Message.AppendEntries(2, "n2", "n1", 1, 1, List.of(other), 2, 1));
        driver.handleReady();
        assertThat(trace).containsExactly("superseded remove n3 by term 2");
        assertThat(driver.node().configuration()).isEqualTo(ClusterConfig.ofVoterIds(Harness.THREE));
    }
}
