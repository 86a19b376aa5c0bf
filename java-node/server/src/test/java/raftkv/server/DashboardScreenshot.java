package raftkv.server;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The browser tooling of {@link DashboardIT}, as a command for the docs: opens the dashboard at URL,
 * watches it for a few seconds, runs a fault command (e.g. {@code make partition NODES=leader}),
 * watches again, and saves a screenshot of what the page showed.
 *
 * <pre>java -cp TEST_CLASSPATH raftkv.server.DashboardScreenshot URL OUT.png SECONDS_AFTER COMMAND...</pre>
 */
public final class DashboardScreenshot {

    private DashboardScreenshot() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: DashboardScreenshot URL OUT.png SECONDS_AFTER [COMMAND...]");
            System.exit(2);
        }
        Path profile = Files.createTempDirectory("raftkv-chromium");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(DashboardBrowser.CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(DashboardBrowser.CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1300,820", "--user-data-dir=" + profile);
        WebDriver browser = new ChromeDriver(service, options);
        try {
            browser.get(args[0]);
            Thread.sleep(4_000);
            List<String> command = Arrays.asList(args).subList(3, args.length);
            if (!command.isEmpty()) {
                System.out.println("DashboardScreenshot: running " + command);
                int code = new ProcessBuilder(command).inheritIO().start().waitFor();
                System.out.println("DashboardScreenshot: exit " + code);
            }
            Thread.sleep(Long.parseLong(args[2]) * 1_000);
            Path png = ((ChromeDriver) browser).getScreenshotAs(OutputType.FILE).toPath();
            Files.copy(png, Path.of(args[1]), StandardCopyOption.REPLACE_EXISTING);
            System.out.println("DashboardScreenshot: saved " + args[1]);
        } finally {
            browser.quit();
        }
    }
}
