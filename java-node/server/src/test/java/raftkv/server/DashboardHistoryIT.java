package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.server.DashboardBrowser.assumeBrowserInstalled;
import static raftkv.server.DashboardBrowser.awaitPage;
import static raftkv.server.DashboardBrowser.events;
import static raftkv.server.DashboardBrowser.rows;
import static raftkv.server.DashboardBrowser.screenshot;
import static raftkv.server.DashboardBrowser.shownLeader;
import static raftkv.server.DashboardBrowser.start;
import static raftkv.server.DashboardBrowser.unlessRerendered;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import raftkv.server.transport.StreamTransport;

/**
 * The dashboard remembers: the nodes keep their own event histories ({@code GET /events}), so a page
 * loaded during or after a partition shows what happened before it was loaded, the old leader's
 * step-down included, labelled by the node that saw it. Three real node processes; the leader is cut
 * off with the test-only {@code POST /admin/fault/isolate} (its Raft messages dropped both ways) and
 * healed; the page, served by a follower of the majority, is reloaded during and after. Screenshots:
 * target/dashboard-history-*.png. Skipped, saying why, where Chromium or chromedriver is missing.
 */
class DashboardHistoryIT extends NodeProcessesTest {

    private static final Duration SHOWN_WITHIN = Duration.ofSeconds(15);

    @Test
    void aReloadDuringAndAfterAPartitionShowsTheStepDownTheElectionAndThePeerLostAndRegained() throws Exception {
        assumeBrowserInstalled("DashboardHistoryIT");
        cluster = NodeProcesses.fresh("dashboard-history", 3).withArgs("--fault-injection-routes");
        cluster.startAll();
        String oldLeader = cluster.awaitAgreedLeader(CLUSTER_UP);
        String viewer = cluster.ids().stream().filter(id -> !id.equals(oldLeader)).findFirst().orElseThrow();
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong written = new AtomicLong();
        Thread writer = Thread.ofPlatform().name("writes").start(() -> writeUntilStopped(viewer, writing, written));

        WebDriver browser = start(cluster.workDir().resolve("chromium-profile"));
        try {
            browser.get(cluster.url(viewer).resolve("/").toString());
            awaitPage(browser, SHOWN_WITHIN, "three members up, " + oldLeader + " leading, its election in the history"
                    + " and writes in the chart",
                    page -> rows(page, "up").size() == 3 && shownLeader(page).equals(oldLeader)
                            && !events(page, oldLeader, "elected").isEmpty() && chartLast(page, "chart-writes") > 0);
            screenshot(browser, "dashboard-history-healthy.png");

            isolate(oldLeader, "isolate");
            String newLeader = awaitNewLeader(viewer, oldLeader);
            browser.navigate().refresh(); // during the partition
            awaitPage(browser, SHOWN_WITHIN, "after a reload during the partition: " + oldLeader + " cut off and"
                    + " stepped down, " + newLeader + " elected and " + oldLeader + " lost by it",
                    page -> !events(page, oldLeader, "fault").isEmpty()
                            && events(page, oldLeader, "role").stream().anyMatch(t -> t.contains("stepped down"))
                            && events(page, newLeader, "elected").stream().anyMatch(t -> t.contains(newLeader + " won"))
                            && events(page, newLeader, "peer-lost").stream().anyMatch(t -> t.contains("lost " + oldLeader))
                            && shownLeader(page).equals(newLeader));
            // The history from before the reload is there too: the old leader's first election.
            assertThat(unlessRerendered(() -> events(browser, oldLeader, "elected"))).isNotEmpty();
            assertThat(unlessRerendered(() -> events(browser, oldLeader, "role")))
                    .anyMatch(t -> t.contains(oldLeader + " stepped down: leader → follower"));
            screenshot(browser, "dashboard-history-partitioned.png");

            isolate(oldLeader, "heal");
            awaitFollows(oldLeader, newLeader);
            browser.navigate().refresh(); // after the partition
            awaitPage(browser, SHOWN_WITHIN, "after a reload once healed: " + newLeader + " hears from " + oldLeader
                    + " again and " + oldLeader + " follows it",
                    page -> events(page, newLeader, "peer-regained").stream().anyMatch(t -> t.contains("hears from " + oldLeader))
                            && events(page, oldLeader, "leader").stream().anyMatch(t -> t.contains("follows " + newLeader))
                            && rows(page, "up").size() == 3 && chartLast(page, "chart-writes") > 0);
            assertThat(unlessRerendered(() -> events(browser, oldLeader, "fault"))).hasSize(2); // cut, then healed
            assertThat(browser.findElement(By.id("chart-term")).findElements(By.cssSelector("path")))
                    .as("one term line per node").hasSize(3);
            assertThat(browser.findElement(By.id("legend")).getText()).contains("★").contains("own view");
            screenshot(browser, "dashboard-history-healed.png");

            // The old leader's own view, reached from its row: only its own events.
            unlessRerendered(() -> {
                browser.findElement(By.cssSelector("#members tr[data-member='" + oldLeader + "'] a.own-view")).click();
                return null;
            });
            awaitPage(browser, SHOWN_WITHIN, oldLeader + "'s own view", page ->
                    page.findElement(By.id("node-view-status")).getText().startsWith(oldLeader + " is follower"));
            List<String> shownNodes = unlessRerendered(() -> browser.findElements(By.cssSelector("#events li")).stream()
                    .map(li -> li.getAttribute("data-node")).distinct().toList());
            assertThat(shownNodes).containsExactly(oldLeader);
            screenshot(browser, "dashboard-history-node-view.png");
            System.out.println("DashboardHistoryIT: " + written.get() + " writes during the test; events shown for "
                    + oldLeader + ": " + unlessRerendered(() -> browser.findElements(By.cssSelector("#events li"))
                            .stream().map(WebElement::getText).toList()));
        } finally {
            writing.set(false);
            writer.join();
            browser.quit();
        }
    }

    private static double chartLast(WebDriver page, String id) {
        String last = page.findElement(By.id(id)).getAttribute("data-last");
        return last == null || last.isEmpty() ? -1 : Double.parseDouble(last);
    }

    private void isolate(String node, String action) {
        NodeProcesses.Reply reply = cluster.send(node, HttpRequest.newBuilder(cluster.url(node).resolve("/admin/fault/" + action))
                .header(StreamTransport.TOKEN_HEADER, NodeProcesses.CLUSTER_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody())).orElseThrow();
        assertThat(reply.status()).as(action + " " + node + ": " + reply.body()).isEqualTo(200);
        assertThat(reply.body().get("isolated").asBoolean()).isEqualTo(action.equals("isolate"));
    }

    /** The leader {@code viewer} knows once it is another node than {@code old}. */
    private String awaitNewLeader(String viewer, String old) throws InterruptedException {
        long deadline = System.nanoTime() + SHOWN_WITHIN.toNanos();
        while (System.nanoTime() < deadline) {
            String leader = cluster.get(viewer, "/status").map(r -> r.body().path("leader").asText(null)).orElse(null);
            if (leader != null && !leader.equals(old)) {
                return leader;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(viewer + " knew no leader other than " + old + " within " + SHOWN_WITHIN);
    }

    private void awaitFollows(String node, String leader) throws InterruptedException {
        long deadline = System.nanoTime() + SHOWN_WITHIN.toNanos();
        while (System.nanoTime() < deadline) {
            if (cluster.get(node, "/status").map(r -> leader.equals(r.body().path("leader").asText(null))).orElse(false)) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError(node + " did not follow " + leader + " within " + SHOWN_WITHIN);
    }

    /** A write every 50 ms through {@code node}, for the charts; failures are fine (elections). */
    private void writeUntilStopped(String node, AtomicBoolean writing, AtomicLong written) {
        for (long i = 0; writing.get(); i++) {
            cluster.send(node, HttpRequest.newBuilder(cluster.url(node).resolve("/kv/chart-" + (i % 20)))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"name\":\"v" + i + "\"}")))
                    .filter(r -> r.status() == 200).ifPresent(r -> written.incrementAndGet());
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
