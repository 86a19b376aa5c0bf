package raftkv.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard in a real browser: Debian's headless Chromium, driven by Selenium through Debian's
 * chromedriver, loads the page of a live 3-node cluster, sees one leader and three members, then
 * sees the killed leader as down and a new leader within 3 s. Screenshots land in
 * target/dashboard-*.png. Skipped, saying why, where Chromium or chromedriver is not installed.
 */
class DashboardIT extends NodeProcessesTest {

    static final Path CHROMIUM = Path.of(System.getProperty("raftkv.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("raftkv.chromedriver", "/usr/bin/chromedriver"));
    static final Duration FAULT_SHOWN_WITHIN = Duration.ofSeconds(3);

    @Test
    void theDashboardShowsOneLeaderAndThreeMembersThenAKilledLeaderAsDownAndANewLeaderWithin3s() throws Exception {
        boolean browserPresent = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!browserPresent) {
            System.out.println("SKIP DashboardIT: needs " + CHROMIUM + " and " + CHROMEDRIVER
                    + " (apt-get install chromium chromium-driver)");
        }
        assumeTrue(browserPresent, "needs " + CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)");

        cluster = NodeProcesses.fresh("dashboard", 3);
        cluster.startAll();
        String leader = cluster.awaitAgreedLeader(Duration.ofSeconds(60));
        String viewer = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();

        WebDriver browser = startBrowser(cluster.workDir().resolve("chromium-profile"));
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

    private static WebDriver startBrowser(Path profile) throws IOException {
        Files.createDirectories(profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,900", "--user-data-dir=" + profile.toAbsolutePath());
        return new ChromeDriver(service, options);
    }

    /** Rows of the members table, all of them or those whose data-state is {@code state}. */
    private static List<WebElement> rows(WebDriver page, String state) {
        return page.findElements(By.cssSelector(
                "#members tbody tr" + (state == null ? "" : "[data-state='" + state + "']")));
    }

    private static String shownLeader(WebDriver page) {
        String leader = page.findElement(By.id("leader")).getAttribute("data-leader");
        return leader == null ? "" : leader;
    }

    /**
     * Reads the page, again if it re-rendered meanwhile: the dashboard rebuilds its rows about three
     * times a second, so an element found a moment ago may be gone when it is read.
     */
    private static <T> T unlessRerendered(java.util.function.Supplier<T> read) {
        for (int attempt = 1; ; attempt++) {
            try {
                return read.get();
            } catch (org.openqa.selenium.StaleElementReferenceException e) {
                if (attempt == 20) {
                    throw e;
                }
            }
        }
    }

    private static void awaitPage(WebDriver page, Duration timeout, String what, Predicate<WebDriver> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!unlessRerendered(() -> condition.test(page))) {
            if (System.nanoTime() > deadline) {
                screenshot(page, "dashboard-failed.png");
                throw new AssertionError("the dashboard did not show " + what + " within " + timeout.toMillis()
                        + " ms; it shows leader '" + unlessRerendered(() -> shownLeader(page)) + "' and rows "
                        + unlessRerendered(() -> rows(page, null).stream().map(WebElement::getText).toList())
                        + " (screenshot: target/dashboard-failed.png)");
            }
            Thread.sleep(50);
        }
    }

    private static void screenshot(WebDriver page, String name) {
        try {
            Path png = ((ChromeDriver) page).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(png, Path.of("target", name), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            System.out.println("DashboardIT: could not save target/" + name + ": " + e);
        }
    }
}
