package raftkv.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code java -jar raftkv-node.jar} on a JVM older than 21 (Debian bookworm's default is 17) says
 * which Java it needs, instead of an UnsupportedClassVersionError; on this JVM (21+) it runs the
 * node's CLI. The old JVM is looked for in /usr/lib/jvm; without one the first test is skipped.
 */
class LauncherIT {

    private static final Path JAR = Path.of(System.getProperty("raftkv.nodeJar", "target/raftkv-node.jar"));

    @Test
    void onAJavaOlderThan21TheJarSaysWhichJavaItNeedsAndExits2() throws Exception {
        Optional<Path> oldJava = javaOlderThan21();
        if (oldJava.isEmpty()) {
            System.out.println("SKIP LauncherIT: no JDK older than 21 under /usr/lib/jvm");
        }
        assumeTrue(oldJava.isPresent(), "no JDK older than 21 under /usr/lib/jvm");
        Run run = run(oldJava.get().toString(), "-jar", JAR.toString(), "--help");
        System.out.println("LauncherIT: " + oldJava.get() + " -jar raftkv-node.jar --help -> exit " + run.exit()
                + ": " + run.output());
        assertThat(run.exit()).isEqualTo(Launcher.EXIT_JAVA_TOO_OLD);
        assertThat(run.output()).startsWith("raftkv-node needs Java 21 or newer, but this is Java ")
                .doesNotContain("UnsupportedClassVersionError");
    }

    @Test
    void onJava21OrNewerTheJarRunsTheNodesCommandLine() throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        Run version = run(java, "-jar", JAR.toString(), "--version");
        assertThat(version.exit()).isZero();
        assertThat(version.output().strip()).isEqualTo("raftkv 0.1");
        Run missing = run(java, "-jar", JAR.toString());
        assertThat(missing.exit()).as("picocli's exit for missing options, through the launcher").isEqualTo(2);
        assertThat(missing.output()).startsWith("raftkv-node: Missing required options");
    }

    private record Run(int exit, String output) {}

    private static Run run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), output);
    }

    /** A JDK or JRE under /usr/lib/jvm whose release file says JAVA_VERSION below 21. */
    private static Optional<Path> javaOlderThan21() throws IOException {
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(jvms)) {
            for (Path home : homes.sorted().toList()) {
                Path release = home.resolve("release");
                Path java = home.resolve("bin/java");
                if (!Files.isRegularFile(release) || !Files.isExecutable(java)) {
                    continue;
                }
                List<String> lines = Files.readAllLines(release);
                for (String line : lines) {
                    if (line.startsWith("JAVA_VERSION=")) {
                        String version = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                        if (Launcher.feature(version) > 0 && Launcher.feature(version) < 21) {
                            return Optional.of(java);
                        }
                    }
                }
            }
        }
        return Optional.empty();
    }
}
