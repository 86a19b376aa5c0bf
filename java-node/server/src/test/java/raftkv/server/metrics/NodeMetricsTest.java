package raftkv.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import raftkv.core.Command;
import raftkv.core.LogEntry;
import raftkv.core.Message;
import raftkv.core.Ready;
import raftkv.core.Result;
import raftkv.core.Snapshot;
import raftkv.server.NodeStatus;

/** The counters NodeMetrics derives from what the event loop publishes, one transition at a time. */
class NodeMetricsTest {

    private final NodeMetrics metrics = new NodeMetrics("n1");

    private static NodeStatus status(String role, long term, String leader) {
        return new NodeStatus("n1", role, term, leader, 0, 0, 0, 0, Map.of(), 0, 0, 0, 0, 0);
    }

    private double sample(String name) {
        return metrics.scrape().lines().filter(line -> line.startsWith(name + "{"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void aCandidateInANewTermStartsAnElectionAndBecomingLeaderWinsIt_5_2() {
        metrics.published(status("follower", 1, "n2"), status("pre_candidate", 1, null));
        assertThat(sample("raftkv_elections_started_total")).as("PreVote does not start an election").isZero();
        metrics.published(status("pre_candidate", 1, null), status("candidate", 2, null));
        metrics.published(status("candidate", 2, null), status("leader", 2, "n1"));
        assertThat(sample("raftkv_elections_started_total")).isEqualTo(1);
        assertThat(sample("raftkv_elections_won_total")).isEqualTo(1);
        metrics.published(status("leader", 2, "n1"), status("leader", 2, "n1"));
        assertThat(sample("raftkv_elections_won_total")).as("staying leader wins nothing").isEqualTo(1);
    }

    @Test
    void aFollowerThatLearnsANewerTermStartsNoElection_5_1() {
        metrics.published(status("follower", 1, "n2"), status("follower", 5, null));
        assertThat(sample("raftkv_elections_started_total")).isZero();
    }

    @Test
    void aLeaderChangeIsCountedWhenADifferentLeaderBecomesKnown() {
        metrics.published(status("follower", 0, null), status("follower", 1, "n2"));
        assertThat(sample("raftkv_leader_changes_total")).as("the first leader known is no change").isZero();
        metrics.published(status("follower", 1, "n2"), status("follower", 2, null));
        metrics.published(status("follower", 2, null), status("follower", 2, "n3"));
        metrics.published(status("follower", 2, "n3"), status("follower", 2, "n3"));
        assertThat(sample("raftkv_leader_changes_total")).isEqualTo(1);
    }

    @Test
    void sentMessagesAreCountedByTypeAndRefusalsSeparately() {
        var heartbeat = new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(), 0, 1);
        var append = new Message.AppendEntries(1, "n1", "n2", 0, 0, List.of(new LogEntry(1, 1, new Command.Noop(), null)), 0, 2);
        var refusal = new Message.AppendEntriesReply(1, "n1", "n2", false, 0, 0, 1, 3);
        assertThat(NodeMetrics.messageType(heartbeat)).isEqualTo("heartbeat");
        assertThat(NodeMetrics.messageType(append)).isEqualTo("append_entries");
        assertThat(NodeMetrics.messageType(refusal)).isEqualTo("append_entries_reply");
        assertThat(NodeMetrics.messageType(new Message.PreVoteReply(1, "n1", "n2", true))).isEqualTo("pre_vote_reply");
    }

    @Test
    void requestsAFollowerForwardsOnThePeerStreamAreCountedByType() {
        var write = new Message.ForwardedProposal(2, "n2", "n1", 0x5eedL, 7, new Command.Put("1", "Ada"), null);
        var read = new Message.ReadIndexRequest(2, "n2", "n1", 0x5eedL, 8);
        metrics.persisted(new Ready(null, 0, List.of(), List.of(write, read, read), List.of(), List.of(), List.of()));
        assertThat(sentOfType("forwarded_proposal")).isEqualTo(1);
        assertThat(sentOfType("read_index_request")).isEqualTo(2);
    }

    @Test
    void theStateSizeIsShownAgainstItsQuota() {
        NodeStatus status = new NodeStatus("n1", "leader", 1, "n1", 9, 9, 9, 1, Map.of(), 0, 9, 3, 420, 1_000);
        metrics.watch(() -> status);
        assertThat(sample("raftkv_state_keys")).isEqualTo(3);
        assertThat(sample("raftkv_state_bytes")).isEqualTo(420);
        assertThat(sample("raftkv_state_quota_bytes")).isEqualTo(1_000);
    }

    @Test
    void writesRefusedByTheQuotaAreCounted() {
        metrics.applied(new LogEntry(1, 1, new Command.Put("1", "Ada"), null), new Result.Ok("Ada"));
        assertThat(sample("raftkv_quota_refused_total")).isZero();
        metrics.applied(new LogEntry(1, 2, new Command.Put("2", "Bob"), null), new Result.QuotaExceeded(10, 10));
        assertThat(sample("raftkv_quota_refused_total")).isEqualTo(1);
    }

    @Test
    void snapshotsTakenAreTimedInSeconds() {
        Snapshot snapshot = new Snapshot(10, 1, List.of("n1"), new byte[100]);
        metrics.snapshotTaken(snapshot, 250_000_000);
        metrics.snapshotTaken(snapshot, 1_500_000_000);
        assertThat(sample("raftkv_snapshot_seconds_count")).isEqualTo(2);
        assertThat(sample("raftkv_snapshot_seconds_sum")).isEqualTo(1.75);
        assertThat(sample("raftkv_snapshot_seconds_max")).isEqualTo(1.5);
    }

    @Test
    void theWriterThreadsPartOfASnapshotIsTimedApartFromTheWhole() {
        Snapshot snapshot = new Snapshot(10, 1, List.of("n1"), new byte[100]);
        metrics.snapshotWritten(snapshot, 400_000_000); // streamed, fsynced, renamed
        metrics.snapshotTaken(snapshot, 500_000_000); // from the freeze until back on the loop
        assertThat(sample("raftkv_snapshot_write_seconds_count")).isEqualTo(1);
        assertThat(sample("raftkv_snapshot_write_seconds_sum")).isEqualTo(0.4);
        assertThat(sample("raftkv_snapshot_seconds_sum")).isEqualTo(0.5);
    }

    @Test
    void snapshotChunksSentAreCountedInBytesPerFollower() {
        var chunk = new Message.InstallSnapshot(2, "n1", "n2", 10, 1, List.of("n1", "n2"), 0, new byte[300], false);
        var last = new Message.InstallSnapshot(2, "n1", "n2", 10, 1, List.of("n1", "n2"), 300, new byte[50], true);
        metrics.persisted(new Ready(null, 0, List.of(), List.of(chunk, last), List.of(), List.of(), List.of()));
        assertThat(sample("raftkv_snapshot_sent_bytes_total")).isEqualTo(350);
        assertThat(metrics.scrape()).contains("raftkv_snapshot_sent_bytes_total{node=\"n1\",peer=\"n2\"} 350");
    }

    private double sentOfType(String type) {
        return metrics.scrape().lines()
                .filter(line -> line.startsWith("raftkv_messages_sent_total{") && line.contains("type=\"" + type + "\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }
}
