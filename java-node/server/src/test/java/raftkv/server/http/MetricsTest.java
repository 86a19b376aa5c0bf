package raftkv.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;
import raftkv.server.http.PrometheusText.Family;

/** GET /metrics: Prometheus text format, the documented names and types, and values that move. */
class MetricsTest extends OneNodeClusterTest {

    private static final Map<String, String> NONE = Map.of();

    private Map<String, Family> scrape() throws Exception {
        HttpResponse<String> response = node.send("GET", "/metrics", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
        return PrometheusText.parse(response.body());
    }

    private static double value(Map<String, Family> families, String family, String sample, Map<String, String> labels) {
        assertThat(families.keySet()).contains(family);
        return families.get(family).value(sample, labels);
    }

    private static double gauge(Map<String, Family> families, String name) {
        return value(families, name, name, NONE);
    }

    @Test
    void everyDocumentedMetricIsThereWithItsType() throws Exception {
        node.send("PUT", "/kv/1", "{\"name\":\"a\"}");
        node.send("GET", "/kv/1", null);
        Map<String, Family> families = scrape();
        Map<String, String> expected = Map.ofEntries(
                Map.entry("raftkv_term", "gauge"),
                Map.entry("raftkv_role", "gauge"),
                Map.entry("raftkv_commit_index", "gauge"),
                Map.entry("raftkv_last_applied", "gauge"),
                Map.entry("raftkv_last_log_index", "gauge"),
                Map.entry("raftkv_leader_known", "gauge"),
                Map.entry("raftkv_proposals_total", "counter"),
                Map.entry("raftkv_reads_total", "counter"),
                Map.entry("raftkv_read_index_rounds_total", "counter"),
                Map.entry("raftkv_entries_applied_total", "counter"),
                Map.entry("raftkv_elections_started_total", "counter"),
                Map.entry("raftkv_elections_won_total", "counter"),
                Map.entry("raftkv_leader_changes_total", "counter"),
                Map.entry("raftkv_append_entries_rejected_total", "counter"),
                Map.entry("raftkv_event_loop_turn_seconds", "histogram"),
                Map.entry("raftkv_snapshot_seconds", "histogram"),
                Map.entry("raftkv_snapshot_write_seconds", "histogram"),
                Map.entry("raftkv_state_keys", "gauge"),
                Map.entry("raftkv_state_bytes", "gauge"),
                Map.entry("raftkv_state_quota_bytes", "gauge"),
                Map.entry("raftkv_fsync_seconds", "histogram"),
                Map.entry("raftkv_storage_written_bytes_total", "counter"),
                Map.entry("raftkv_http_requests_seconds", "histogram"),
                Map.entry("jvm_memory_used_bytes", "gauge"),
                Map.entry("jvm_threads_live_threads", "gauge"),
                Map.entry("jvm_classes_loaded_classes", "gauge"),
                Map.entry("process_uptime_seconds", "gauge"));
        expected.forEach((name, type) -> {
            assertThat(families.keySet()).as(name).contains(name);
            assertThat(families.get(name).type()).as(name).isEqualTo(type);
        });
        assertThat(families.keySet()).filteredOn(n -> n.startsWith("raftkv_"))
                .allSatisfy(n -> assertThat(n).matches("raftkv_[a-z_]+"));
    }

    @Test
    void aOneNodeLeaderReportsItsRoleTermAndElection_5_2() throws Exception {
        Map<String, Family> families = scrape();
        assertThat(value(families, "raftkv_role", "raftkv_role", Map.of("role", "leader"))).isEqualTo(1);
        assertThat(value(families, "raftkv_role", "raftkv_role", Map.of("role", "follower"))).isEqualTo(0);
        assertThat(gauge(families, "raftkv_term")).isEqualTo(node.loop().status().term()).isGreaterThanOrEqualTo(1);
        assertThat(gauge(families, "raftkv_leader_known")).isEqualTo(1);
        assertThat(gauge(families, "raftkv_elections_started_total")).isGreaterThanOrEqualTo(1);
        assertThat(gauge(families, "raftkv_elections_won_total")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void writesMoveTheCommitIndexAppliedEntriesProposalsAndFsyncs_5_3() throws Exception {
        // The first write without a session registers the session the node lends such writes: one
        // more entry, once. Made before counting.
        assertThat(node.send("PUT", "/kv/warm", "{\"name\":\"up\"}").statusCode()).isEqualTo(200);
        // The loop publishes its status at the end of the turn that answered the warm-up write: wait
        // for that turn to end, or the warm-up's entry would be counted as one of the five.
        Map<String, Family> before = scrape();
        for (int i = 0; i < 100 && gauge(before, "raftkv_commit_index") < node.loop().status().commitIndex(); i++) {
            Thread.sleep(10);
            before = scrape();
        }
        Thread.sleep(50);
        before = scrape();
        int writes = 5;
        for (int i = 0; i < writes; i++) {
            assertThat(node.send("PUT", "/kv/m" + i, "{\"name\":\"v" + i + "\"}").statusCode()).isEqualTo(200);
        }
        // The gauges read the status the loop publishes at the end of a turn, just after it answered
        // the last write: give that turn a moment to end.
        Map<String, Family> after = scrape();
        for (int i = 0; i < 100 && gauge(after, "raftkv_commit_index") - gauge(before, "raftkv_commit_index") < writes; i++) {
            Thread.sleep(10);
            after = scrape();
        }
        assertThat(gauge(after, "raftkv_commit_index") - gauge(before, "raftkv_commit_index")).isEqualTo(writes);
        assertThat(gauge(after, "raftkv_last_applied")).isEqualTo(gauge(after, "raftkv_commit_index"));
        assertThat(gauge(after, "raftkv_last_log_index")).isEqualTo(node.loop().status().lastIndex());
        assertThat(gauge(after, "raftkv_entries_applied_total") - gauge(before, "raftkv_entries_applied_total"))
                .isEqualTo(writes);
        assertThat(gauge(after, "raftkv_proposals_total") - gauge(before, "raftkv_proposals_total")).isEqualTo(writes);
        Map<String, String> wal = Map.of("file", "wal");
        assertThat(value(after, "raftkv_fsync_seconds", "raftkv_fsync_seconds_count", wal)
                - value(before, "raftkv_fsync_seconds", "raftkv_fsync_seconds_count", wal)).isGreaterThanOrEqualTo(writes);
        assertThat(value(after, "raftkv_fsync_seconds", "raftkv_fsync_seconds_bucket", Map.of("file", "wal", "le", "+Inf")))
                .isEqualTo(value(after, "raftkv_fsync_seconds", "raftkv_fsync_seconds_count", wal));
        assertThat(value(after, "raftkv_storage_written_bytes_total", "raftkv_storage_written_bytes_total", wal))
                .isGreaterThan(value(before, "raftkv_storage_written_bytes_total", "raftkv_storage_written_bytes_total", wal));
    }

    @Test
    void readsCountOneReadIndexRoundPerBatch_6_4() throws Exception {
        node.send("PUT", "/kv/r", "{\"name\":\"x\"}");
        Map<String, Family> before = scrape();
        for (int i = 0; i < 3; i++) {
            assertThat(node.send("GET", "/kv/r", null).statusCode()).isEqualTo(200);
        }
        Map<String, Family> after = scrape();
        assertThat(gauge(after, "raftkv_reads_total") - gauge(before, "raftkv_reads_total")).isEqualTo(3);
        double rounds = gauge(after, "raftkv_read_index_rounds_total") - gauge(before, "raftkv_read_index_rounds_total");
        assertThat(rounds).isBetween(1.0, 3.0);
    }

    @Test
    void httpRequestsAreCountedByRoutePatternAndStatus() throws Exception {
        node.send("GET", "/kv/absent-1", null);
        node.send("GET", "/kv/absent-2", null);
        node.send("GET", "/no/such/route", null);
        Map<String, Family> families = scrape();
        String family = "raftkv_http_requests_seconds";
        assertThat(value(families, family, family + "_count", Map.of("route", "/kv/{id}", "method", "GET", "status", "404")))
                .isEqualTo(2);
        assertThat(value(families, family, family + "_count", Map.of("route", "unmatched", "status", "404")))
                .isGreaterThanOrEqualTo(1);
        assertThat(families.get(family).samples()).noneMatch(s -> s.labels().getOrDefault("route", "").contains("absent"));
    }

    @Test
    void theParserRejectsWhatPrometheusWould() {
        assertThatThrownBy(() -> PrometheusText.parse("raftkv_x 1\n")).hasMessageContaining("no declared family");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a counter\na_total 1\n")).hasMessageContaining("no declared family");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na{x=1} 1\n")).hasMessageContaining("bad label");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na one\n")).hasMessageContaining("bad value");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na 1\na 2\n")).hasMessageContaining("repeated");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE h histogram\nh_bucket 1\n")).hasMessageContaining("without le");
        assertThat(PrometheusText.parse("# TYPE a gauge\na{b=\"c\\\"d\"} 1.5\n").get("a").value("a", Map.of("b", "c\"d")))
                .isEqualTo(1.5);
    }
}
