package raftkv.server;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The browser side of the dashboard tests: Debian's headless Chromium driven by Selenium through
 * Debian's chromedriver, and what the tests read off the page. Screenshots land in target/.
 */
final class DashboardBrowser {

    static final Path CHROMIUM = Path.of(System.getProperty("raftkv.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("raftkv.chromedriver", "/usr/bin/chromedriver"));

    private DashboardBrowser() {}

    /** Skips the calling test, saying why, where Chromium or chromedriver is not installed. */
    static void assumeBrowserInstalled(String test) {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        String why = "needs " + CHROMIUM + " and " + CHROMEDRIVER + " (apt-get install chromium chromium-driver)";
        if (!present) {
            System.out.println("SKIP " + test + ": " + why);
        }
        assumeTrue(present, why);
    }

    static WebDriver start(Path profile) throws IOException {
        Files.createDirectories(profile);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1300", "--user-data-dir=" + profile.toAbsolutePath());
        return new ChromeDriver(service, options);
    }

    /** Rows of the members table, all of them or those whose data-state is {@code state}. */
    static List<WebElement> rows(WebDriver page, String state) {
        return page.findElements(By.cssSelector(
                "#members tbody tr" + (state == null ? "" : "[data-state='" + state + "']")));
    }

    static String shownLeader(WebDriver page) {
        String leader = page.findElement(By.id("leader")).getAttribute("data-leader");
        return leader == null ? "" : leader;
    }

    /** The texts of the event list's entries of {@code node} and {@code kind} (data attributes). */
    static List<String> events(WebDriver page, String node, String kind) {
        return page.findElements(By.cssSelector("#events li[data-node='" + node + "'][data-kind='" + kind + "']"))
                .stream().map(li -> li.getAttribute("textContent")).toList(); // also those scrolled out of view
    }

    /**
     * Reads the page, again if it re-rendered meanwhile: the dashboard rebuilds its rows about three
     * times a second, so an element found a moment ago may be gone when it is read.
     */
    static <T> T unlessRerendered(Supplier<T> read) {
        for (int attempt = 1; ; attempt++) {
            try {
                return read.get();
            } catch (StaleElementReferenceException e) {
                if (attempt == 20) {
                    throw e;
                }
            }
        }
    }

    static void awaitPage(WebDriver page, Duration timeout, String what, Predicate<WebDriver> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!unlessRerendered(() -> condition.test(page))) {
            if (System.nanoTime() > deadline) {
                screenshot(page, "dashboard-failed.png");
                throw new AssertionError("the dashboard did not show " + what + " within " + timeout.toMillis()
                        + " ms; it shows leader '" + unlessRerendered(() -> shownLeader(page)) + "', rows "
                        + unlessRerendered(() -> rows(page, null).stream().map(WebElement::getText).toList())
                        + " and events " + unlessRerendered(() -> page.findElement(By.id("events")).getText())
                        + " (screenshot: target/dashboard-failed.png)");
            }
            Thread.sleep(50);
        }
    }

    static void screenshot(WebDriver page, String name) {
        try {
            Path png = ((ChromeDriver) page).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(png, Path.of("target", name), StandardCopyOption.REPLACE_EXISTING);
            System.out.println("screenshot: target/" + name);
        } catch (IOException | RuntimeException e) {
            System.out.println("could not save target/" + name + ": " + e);
        }
    }
}
