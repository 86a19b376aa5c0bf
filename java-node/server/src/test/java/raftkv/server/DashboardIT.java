package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static raftkv.server.DashboardBrowser.assumeBrowserInstalled;
import static raftkv.server.DashboardBrowser.awaitPage;
import static raftkv.server.DashboardBrowser.rows;
import static raftkv.server.DashboardBrowser.screenshot;
import static raftkv.server.DashboardBrowser.shownLeader;
import static raftkv.server.DashboardBrowser.start;
import static raftkv.server.DashboardBrowser.unlessRerendered;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by Selenium through Debian's
 * chromedriver, loads the page of a live 3-node cluster, sees one leader and three members, then
 * sees the killed leader as down and a new leader within 3 s. Screenshots land in
 * target/dashboard-*.png. Skipped, saying why, where Chromium or chromedriver is not installed.
 */
class DashboardIT extends NodeProcessesTest {

    static final Duration FAULT_SHOWN_WITHIN = Duration.ofSeconds(3);

    @Test
    void theDashboardShowsOneLeaderAndThreeMembersThenAKilledLeaderAsDownAndANewLeaderWithin3s() throws Exception {
        assumeBrowserInstalled("DashboardIT");
        cluster = NodeProcesses.fresh("dashboard", 3);
        cluster.startAll();
        String leader = cluster.awaitAgreedLeader(Duration.ofSeconds(60));
        String viewer = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();

        WebDriver browser = start(cluster.workDir().resolve("chromium-profile"));
        try {
            browser.get(cluster.url(viewer).resolve("/").toString());
            awaitPage(browser, Duration.ofSeconds(15), "three members up and " + leader + " shown as leader",
                    page -> rows(page, "up").size() == 3 && shownLeader(page).equals(leader));
            assertThat(unlessRerendered(() -> rows(browser, null).size())).isEqualTo(3);
            assertThat(unlessRerendered(() -> browser.findElements(By.cssSelector("#members tbody tr[data-role='leader']"))
                    .stream().map(row -> row.getAttribute("data-member")).toList())).containsExactly(leader);
            screenshot(browser, "dashboard-healthy.png");

            long killedAt = System.nanoTime();
            cluster.kill(leader);
            awaitPage(browser, FAULT_SHOWN_WITHIN, leader + " shown down and another node as leader",
                    page -> rows(page, "down").stream().anyMatch(r -> leader.equals(r.getAttribute("data-member")))
                            && !shownLeader(page).isEmpty() && !shownLeader(page).equals(leader));
            long shownAfterMs = (System.nanoTime() - killedAt) / 1_000_000;
            System.out.println("DashboardIT: the page showed " + leader + " down and "
                    + unlessRerendered(() -> shownLeader(browser)) + " as the new leader " + shownAfterMs
                    + " ms after kill -9");
            assertThat(unlessRerendered(() -> rows(browser, "up").size())).isEqualTo(2);
            assertThat(unlessRerendered(() -> browser.findElement(By.id("events")).getText())).contains(leader + " is down");
            screenshot(browser, "dashboard-leader-killed.png");
        } finally {
            browser.quit();
        }
    }
}
